from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from accounts.urls import org_urlpatterns

# The Django admin (platform superusers only) logs in through allauth: MFA and rate limits apply.
admin.site.login = secure_admin_login(admin.site.login)
admin.site.site_header = _("Recert platform administration")
handler404 = "accounts.views.page_not_found"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    # Organisation-scoped pages come last: /<org>/... must not shadow the site's own addresses.
    path("<slug:org>/", include(org_urlpatterns)),
    path("<slug:org>/", include("billing.urls")),  # billing sits on top: mounted here, nothing below imports it
    path("<slug:org>/review/", include("review.urls")),  # review sits on top too
]
