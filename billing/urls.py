"""Billing's organisation-scoped pages (config/urls.py mounts them under /<org>/)."""

from billing.views import urlpatterns

__all__ = ["urlpatterns"]
