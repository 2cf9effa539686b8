"""The benchmarks' URLconf: the project's own (config.urls, unchanged) plus a truly trivial signed-in view,
the ceiling every page benchmark is compared with (bench/harness.py)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from config.urls import handler404  # noqa: F401 - the project's 404 page applies here too


@login_required
def trivial(request: HttpRequest) -> HttpResponse:
    """Signed in, then "ok": no template, no tenancy lookups, nothing but the middleware every page has."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("", include("config.urls")),
]
