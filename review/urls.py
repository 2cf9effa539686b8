"""Review's organisation-scoped pages (mounted under /<org>/review/ by config/urls.py)."""

from review import rfi_views, views

urlpatterns = [*views.urlpatterns, *rfi_views.urlpatterns]
