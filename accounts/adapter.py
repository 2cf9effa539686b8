from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction


class AccountAdapter(DefaultAccountAdapter):
    """allauth's mail goes through the same background path as the rest of the product's mail."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = next((content for content, mimetype in getattr(message, "alternatives", [])
                     if mimetype == "text/html"), None)
        from notifications.outbox import outbox_enqueue

        with transaction.atomic():
            outbox_enqueue("accounts.tasks.send_email", to=list(message.to), subject=message.subject,
                           body=message.body, html=html, from_email=message.from_email)
