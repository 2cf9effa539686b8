from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = _("Portfolios")

    def ready(self) -> None:
        from accounts.home import register_waiting
        from portfolios.home import deletion_requests

        register_waiting(deletion_requests, order=30)
