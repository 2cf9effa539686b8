from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership


@dataclass(frozen=True)
class SwitcherOrganisation:
    slug: str
    name: str


@dataclass(frozen=True)
class SwitcherEntry:
    """What the organisation switcher shows of a membership (base.html): no model rows built for it."""

    organisation_id: int
    organisation: SwitcherOrganisation


def tenancy(request: HttpRequest) -> dict[str, object]:
    """The current organisation and membership, and (lazily) the user's organisations for the switcher.

    The switcher's list is read only when a page shows it, as three columns of one query (it is on every page,
    so it is kept cheap: no membership or organisation objects are built)."""
    user = getattr(request, "user", None)

    def memberships() -> list[SwitcherEntry]:
        if user is None or not user.is_authenticated:
            return []
        rows = (Membership.objects.for_user(user).order_by("organisation__name")
                .values_list("organisation_id", "organisation__slug", "organisation__name"))
        return [SwitcherEntry(pk, SwitcherOrganisation(slug, name)) for pk, slug, name in rows]

    organisation = getattr(request, "organisation", None)
    return {
        "organisation": organisation,
        # Branding: the organisation being visited, else the white-label host's organisation.
        "brand": organisation or getattr(request, "host_organisation", None),
        "membership": getattr(request, "membership", None),
        "my_memberships": SimpleLazyObject(memberships),
    }
