from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives


@shared_task(autoretry_for=(OSError,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_email(*, to: list[str], subject: str, body: str, html: str | None = None,
               from_email: str | None = None) -> None:
    """Deliver one already-rendered message; retried with backoff when the mail server is unreachable."""
    message = EmailMultiAlternatives(subject=subject, body=body,
                                     from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
