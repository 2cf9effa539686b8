"""Organisation-scoped pages of background work (config/urls.py mounts them under /<org>/)."""

from notifications import health, views

urlpatterns = [*health.urlpatterns, *views.urlpatterns]
