from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        """Billing sits on top: the apps below tell it things through their hooks, never by importing it."""
        from billing import services
        from portfolios import signals

        signals.submission_submitted.connect(services.on_submission_submitted, dispatch_uid="billing-submission")
        signals.review_hold(services.unpaid_fee_hold)

    def seed_demo(self) -> None:
        """Called by `manage.py seed_demo` (inside maintenance) for every app that has it."""
        from billing.demo import seed_billing_demo

        seed_billing_demo()
