"""Organisation-scoped pages of the portfolios app (config/urls.py mounts them under /<org>/).

Each area keeps its patterns next to its views (`urlpatterns` at the bottom of portfolios/views/<area>.py).
"""

from portfolios.views import activities, certifications, compliance, imports

urlpatterns = [
    *activities.urlpatterns,
    *certifications.urlpatterns,
    *imports.urlpatterns,
    *compliance.urlpatterns,
]
