from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Background work and reminders")

    def ready(self) -> None:
        from accounts import audit
        from accounts.home import register_waiting
        from notifications import reminders, signals  # noqa: F401 - signals connects the failure recorder
        from notifications.home import refused_addresses

        audit.register(reminders.AUDIT_ACTIONS)
        register_waiting(refused_addresses, order=40)
