from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = _("Portfolios")

    def ready(self) -> None:
        """Register with the layers below: the audit trail's wording, and the scheme editor's impact preview."""
        from accounts import audit
        from accounts.home import register_waiting
        from portfolios.access import register_rules
        from portfolios.home import deletion_requests
        from portfolios.models import Certification
        from portfolios.services import activities, certifications, imports
        from schemes import services as scheme_services

        for module in (activities, certifications, imports):
            audit.register(module.AUDIT_ACTIONS)
        audit.register({}, value_labels=dict(Certification.Status.choices))
        scheme_services.register_preview_population(scheme_services.PreviewPopulation(
            count=certifications.preview_population_count, chunk=certifications.preview_population_chunk))
        register_rules()
        register_waiting(deletion_requests, order=30)

    def seed_demo(self) -> None:
        """Called by `manage.py seed_demo` (inside maintenance): each demo organisation's scheme, and a
        professional's certification part-way through its cycle with a few activities."""
        from portfolios.demo import seed_portfolios_demo

        seed_portfolios_demo()
