"""Organisation-scoped pages of background work (mounted under /<org>/ by accounts/urls.py)."""

from notifications import health, views

urlpatterns = [*health.urlpatterns, *views.urlpatterns]
