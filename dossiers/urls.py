"""Organisation-scoped pages of the dossiers app (config/urls.py mounts them under /<org>/).

Each area keeps its patterns next to its views (`urlpatterns` at the bottom of dossiers/views/<area>.py).
"""

from dossiers.views import dashboard, dossiers, evidence, mydata, statements

urlpatterns = [
    *dashboard.urlpatterns,
    *evidence.urlpatterns,
    *dossiers.urlpatterns,
    *statements.urlpatterns,
    *mydata.urlpatterns,
]
