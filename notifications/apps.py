from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Background work and reminders")

    def ready(self) -> None:
        from accounts.home import register_waiting
        from notifications import signals  # noqa: F401 - connects the failure recorder
        from notifications.home import refused_addresses

        register_waiting(refused_addresses, order=40)
