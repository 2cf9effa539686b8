"""Organisation-scoped pages of background work (mounted under /<org>/ by accounts/urls.py)."""

from notifications import health

urlpatterns = [*health.urlpatterns]
