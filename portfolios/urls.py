"""Organisation-scoped pages of the portfolios app (mounted under /<org>/ by accounts/urls.py).

Each area keeps its patterns next to its views (`urlpatterns` at the bottom of portfolios/views/<area>.py).
"""

from portfolios.views import (
    activities,
    certifications,
    compliance,
    dashboard,
    dossiers,
    evidence,
    imports,
    mydata,
    statements,
)

urlpatterns = [
    *dashboard.urlpatterns,
    *activities.urlpatterns,
    *evidence.urlpatterns,
    *dossiers.urlpatterns,
    *statements.urlpatterns,
    *certifications.urlpatterns,
    *imports.urlpatterns,
    *compliance.urlpatterns,
    *mydata.urlpatterns,
]
