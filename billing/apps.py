from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        """Billing sits on top: the apps below tell it things through their hooks, never by importing it."""
        from accounts import audit
        from accounts.home import register_waiting
        from billing import access, services
        from billing.home import overdue_invoices
        from dossiers import signals

        audit.register(services.AUDIT_ACTIONS)
        access.register_rules()
        register_waiting(overdue_invoices, order=50)
        signals.submission_submitted.connect(services.on_submission_submitted, dispatch_uid="billing-submission")
        signals.review_hold(services.unpaid_fee_hold)
        post_migrate.connect(ensure_vat_rates, sender=self, dispatch_uid="billing-vat-rates")

    def seed_demo(self) -> None:
        """Called by `manage.py seed_demo` (inside maintenance) for every app that has it."""
        from billing.demo import seed_billing_demo

        seed_billing_demo()


def ensure_vat_rates(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """The shipped VAT rates (migration 0004) are there after every migrate and flush (a test database is
    flushed between transactional tests): rows are only added, never changed, so an administrator's edit stays."""
    import importlib

    from billing.models import VatRate

    seed = importlib.import_module("billing.migrations.0004_dutch_vat_rates")
    for category, rate, valid_from, valid_until, note in seed.RATES:
        VatRate.objects.using(using).get_or_create(country="NL", category=category, valid_from=valid_from,
                                                   defaults={"rate": rate, "valid_until": valid_until, "note": note})
