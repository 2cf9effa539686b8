from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership


def tenancy(request: HttpRequest) -> dict[str, object]:
    """The current organisation and membership, and (lazily) the user's organisations for the switcher."""
    user = getattr(request, "user", None)

    def memberships() -> list[Membership]:
        if user is None or not user.is_authenticated:
            return []
        return list(Membership.objects.for_user(user).select_related("organisation")
                    .order_by("organisation__name"))

    organisation = getattr(request, "organisation", None)
    return {
        "organisation": organisation,
        # Branding: the organisation being visited, else the white-label host's organisation.
        "brand": organisation or getattr(request, "host_organisation", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": SimpleLazyObject(memberships),
    }
