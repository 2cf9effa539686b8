"""Review's organisation-scoped pages (mounted under /<org>/review/ by config/urls.py)."""

from review.views import urlpatterns

__all__ = ["urlpatterns"]
