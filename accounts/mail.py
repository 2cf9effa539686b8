"""Mail and the links in it, written once: the recipient's language, absolute links, rendering a mail's
templates in that language and handing it to the outbox.

Every mail of the product has three templates named after one prefix: `<prefix>_subject.txt`,
`<prefix>_body.txt` and, for mail with an HTML part, `<prefix>_body.html`. The context is built in the
recipient's language (pass a function when it words dates or labels), so one call says everything:

    mail_send(to=owner.email, template="dossiers/email/statement_signed", organisation=organisation,
              language=recipient_language(owner, organisation), context=lambda: {...})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.models import Organisation, User


def absolute_url(path: str, request: HttpRequest | None = None) -> str:
    """A path as a link for a mail or an outside service: on the host the visitor used when there is a
    request (a white-label host stays itself), else on SITE_URL."""
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path


def site_url(viewname: str, **kwargs: Any) -> str:
    """`reverse(viewname, kwargs=kwargs)` on SITE_URL: a link that works from a mail."""
    return absolute_url(reverse(viewname, kwargs=kwargs))


def recipient_language(user: User | None, organisation: Organisation | None) -> str:
    """The language to write to someone in: the one they chose, else their organisation's (someone without
    an account, such as an invitee or a statement's signer, reads the organisation's), else the site's."""
    return ((user.preferred_language if user is not None else "")
            or (organisation.default_language if organisation is not None else "") or settings.LANGUAGE_CODE)


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str
    html: str | None = None


def mail_render(template: str, context: Mapping[str, Any], *, html: bool = False) -> Mail:
    """A mail's templates rendered in the current language; the subject on one line."""
    return Mail(subject=" ".join(render_to_string(f"{template}_subject.txt", context).split()),
                body=render_to_string(f"{template}_body.txt", context),
                html=render_to_string(f"{template}_body.html", context) if html else None)


def mail_send(*, to: str | Sequence[str], template: str, language: str,
              context: Mapping[str, Any] | Callable[[], Mapping[str, Any]], organisation: Organisation | None,
              html: bool = False, headers: dict[str, str] | None = None) -> Mail:
    """Render a mail in `language` (a callable `context` is built in that language too) and send it through
    the outbox, one message per address in `to`; returns what was sent."""
    from accounts.services import email_enqueue

    with translation.override(language or settings.LANGUAGE_CODE):
        mail = mail_render(template, context() if callable(context) else context, html=html)
    for address in [to] if isinstance(to, str) else to:
        email_enqueue(to=address, subject=mail.subject, body=mail.body, html=mail.html, organisation=organisation,
                      headers=headers)
    return mail
