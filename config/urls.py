"""The site's addresses, assembled here, at the top: each app keeps its own list and imports nobody else's.

Site-wide pages first; then `/<org>/`, built from every app's organisation-scoped list (last, so an
organisation's slug never shadows the site's own addresses).
"""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts import urls as accounts_urls
from certificates import views as certificates

# The Django admin (platform superusers only) logs in through allauth: MFA and rate limits apply.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]  # allauth's documented way
admin.site.site_header = _("Recert platform administration")
handler404 = "accounts.views.page_not_found"

organisation_urlpatterns = [
    path("", include(accounts_urls.org_urlpatterns)),
    path("manage/schemes/", include("schemes.urls")),
    path("", include("portfolios.urls")),
    path("", include("dossiers.urls")),
    path("", include("notifications.urls")),
    path("", include("billing.urls")),
    path("review/", include("review.urls")),
    path("", include(certificates.org_urlpatterns)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include(certificates.site_urlpatterns)),  # /verify/<code>/: public, no organisation in the address
    path("<slug:org>/", include(organisation_urlpatterns)),
]
