"""E-mail delivery in the background: retried with backoff while the mail server is unreachable, and a
permanently refused address recorded for the organisation's administrators instead of retried for ever."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)

MAX_RETRIES = 8


def _record_refused(organisation_id: int | None, email: str, reason: str, subject: str) -> None:
    if organisation_id is None:
        logger.error("Mail to %s refused for good: %s", email, reason)
        return
    from django.db.models import F

    from accounts.models import DeliveryFailure
    from accounts.tenancy import tenant_context

    with tenant_context(organisation_id):
        updated = DeliveryFailure.objects.for_organisation(organisation_id).filter(email=email).update(
            count=F("count") + 1, reason=reason[:2000], subject=subject[:300])
        if not updated:
            DeliveryFailure.objects.create(organisation_id=organisation_id, email=email, reason=reason[:2000],
                                           subject=subject[:300])


@shared_task(bind=True, max_retries=MAX_RETRIES)
def send_email(self, *, to: list[str], subject: str, body: str, html: str | None = None,  # noqa: ANN001
               from_email: str | None = None, organisation_id: int | None = None,
               headers: dict[str, str] | None = None) -> None:
    """Deliver one already-rendered message."""
    message = EmailMultiAlternatives(subject=subject, body=body, headers=headers or {},
                                     from_email=from_email or settings.DEFAULT_FROM_EMAIL, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        for address, (code, reply) in error.recipients.items():
            _record_refused(organisation_id, address, f"{code} {reply!r}", subject)
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:  # a permanent answer: retrying will not change it
            for address in to:
                _record_refused(organisation_id, address, f"{error.smtp_code} {error.smtp_error!r}", subject)
            return
        raise self.retry(exc=error, countdown=_backoff(self.request.retries)) from error
    except (OSError, smtplib.SMTPException) as error:
        raise self.retry(exc=error, countdown=_backoff(self.request.retries)) from error


def _backoff(retries: int) -> int:
    """30 s, 1 min, 2 min … up to an hour between attempts."""
    return min(3600, 30 * 2**retries)


@shared_task
def stored_files_sweep_task() -> dict[str, object]:
    """Daily (beat): delete stored files no row references that are older than the grace period.

    Idempotent: a second run finds nothing more to delete. `manage.py sweep_orphan_files --dry-run` shows
    what it would do.
    """
    from accounts.storage import stored_files_sweep

    return stored_files_sweep().summary()
