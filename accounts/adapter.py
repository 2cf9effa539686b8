import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.utils import filter_users_by_email
from allauth.core import context as allauth_context
from allauth.core import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from accounts.mail import absolute_url

logger = logging.getLogger(__name__)

# Mails that tell an address something about itself without its owner having asked in their own session:
# "someone tried to register with your address" and "no account uses this address". Enumeration prevention
# sends them instead of saying so on the page; the "address_notice" rate limit keeps them rare per address.
ADDRESS_NOTICES = frozenset({"account/email/account_already_exists", "account/email/unknown_account"})


@dataclass(frozen=True)
class MailSite:
    """What allauth's mails call `current_site` ("Hello from {{ current_site.name }}!"): the product's name
    (SITE_NAME) and the host the visitor used. Without django.contrib.sites allauth's own value can be blank."""

    name: str
    domain: str


def mail_site(request: HttpRequest | None) -> MailSite:
    domain = get_current_site(request).domain if request is not None else urlsplit(settings.SITE_URL).netloc
    return MailSite(name=settings.SITE_NAME, domain=domain)


class AccountAdapter(DefaultAccountAdapter):
    """allauth's mail goes through the same background path as the rest of the product's mail, in the
    recipient's language."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = allauth_context.request
        if template_prefix in ADDRESS_NOTICES and request is not None and not ratelimit.consume(
                request, action="address_notice", key=email.lower()):
            # The page the visitor sees is the same either way; the address simply hears from us less often.
            logger.info("Not sending %s: this address had one recently.", template_prefix.rsplit("/", 1)[-1])
            return
        context = {"request": request, "email": email, "login_url": absolute_url(reverse("account_login"), request),
                   **context, "current_site": mail_site(request)}
        with translation.override(self.recipient_language(email)):
            message = self.render_mail(template_prefix, email, context)
        html = next((content for content, mimetype in getattr(message, "alternatives", [])
                     if mimetype == "text/html"), None)
        from accounts.outbox import outbox_enqueue

        with transaction.atomic():
            outbox_enqueue("accounts.tasks.send_email", to=list(message.to), subject=message.subject,
                           body=message.body, html=html, from_email=message.from_email)

    def login(self, request: HttpRequest, user: Any) -> None:
        """Signed in: from now on the person's saved language (so "Successfully signed in as …" and the page
        after it are in it, even when the sign-in page was in the browser's language)."""
        super().login(request, user)
        if getattr(user, "preferred_language", ""):
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = translation.get_language()

    def recipient_language(self, email: str) -> str:
        """The language of the account behind the address if it chose one; otherwise the page's language
        (a new or unknown address: whoever typed it reads the page in that language)."""
        for user in filter_users_by_email(email):
            if getattr(user, "preferred_language", ""):
                return user.preferred_language
        return translation.get_language() or "en"
