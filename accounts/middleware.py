from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation


class HostOrganisationMiddleware:
    """A white-label host name (Organisation.host) brands the site-wide pages for that organisation.

    Organisation pages still live under /<slug>/ and still require membership: the host only chooses
    the branding and where `/` leads.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from accounts.models import Organisation

        host = request.get_host().split(":")[0].lower()
        request.host_organisation = (  # type: ignore[attr-defined]  # read through getattr by the context processor
            Organisation.objects.filter(host=host).first() if host else None)
        return self.get_response(request)


class UserLanguageMiddleware:
    """A signed-in user's saved language wins over the browser's; the switcher saves it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.preferred_language:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
