"""The unsubscribe link of a reminder, as a token link (accounts/access.py): signed, naming its organisation.

The token is signed (not stored): it carries the organisation, the person, the reminder's code and the scheme. It
is valid only under the organisation it names, so another organisation's token finds nothing at this address.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext as _

from accounts.access import LinkKind
from accounts.models import Organisation, User
from notifications import reminders
from schemes.models import SchemeVersion


@dataclass(frozen=True)
class UnsubscribeSubject:
    """Who and which reminder the link is about, in the scheme's latest version (None: the scheme has none)."""

    person: User
    code: str
    scheme: str
    version: SchemeVersion | None

    @property
    def mandatory(self) -> bool:
        rule = next((item for item in self.version.rules.reminders if item.code == self.code), None) \
            if self.version else None
        return bool(rule and rule.mandatory)


def _find(organisation: Organisation, token: str) -> UnsubscribeSubject | None:
    try:
        data = reminders.unsubscribe_data(token)
    except signing.BadSignature:
        return None
    if data["o"] != organisation.pk:
        return None
    user = User.objects.filter(pk=data["u"]).first()
    if user is None:
        return None
    scheme = str(data["s"])
    version = (SchemeVersion.objects.for_organisation(organisation).filter(code=scheme)
               .order_by("-effective_from", "-version").first())
    return UnsubscribeSubject(person=user, code=str(data["c"]), scheme=scheme, version=version)


# An unsubscribe link does not expire; a mandatory notice cannot be unsubscribed from ("mandatory").
UNSUBSCRIBE_LINK: LinkKind[UnsubscribeSubject] = LinkKind(
    find=_find, state=lambda subject: "mandatory" if subject.mandatory else "open",
    invalid=lambda: _("This unsubscribe link is not valid. Copy the whole link from the e-mail into your browser."))
