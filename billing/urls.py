"""Billing's organisation-scoped pages (mounted under /<org>/ by accounts/urls.py)."""

from billing.views import urlpatterns

__all__ = ["urlpatterns"]
