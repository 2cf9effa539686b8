"""What each audit action means, in words translated when shown (events store codes and parameters).

Each app words its own actions next to its services (`AUDIT_ACTIONS`) and registers them here from its
`AppConfig.ready` (`register(AUDIT_ACTIONS, value_labels=...)`), so this module imports nothing from the
apps above it.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from accounts.models import AuditEvent, Role

# action code → (label for filters, sentence with %(name)s parameters from the event's data)
ACTIONS = {
    "invitation.create": (_("Invitation sent"), _("Invited %(email)s as %(role)s")),
    "invitation.resend": (_("Invitation sent again"), _("Sent the invitation to %(email)s again")),
    "invitation.revoke": (_("Invitation revoked"), _("Revoked the invitation to %(email)s")),
    "invitation.send_refused": (_("Invitation not sent (limit reached)"),
                                _("Did not send the invitation to %(email)s: %(limit)s")),
    "invitation.accept": (_("Invitation accepted"), _("%(email)s accepted the invitation as %(role)s")),
    "join_request.create": (_("Asked to join"), _("%(email)s asked to join the organisation")),
    "join_request.approve": (_("Join request approved"), _("Approved the request of %(email)s to join as %(role)s")),
    "join_request.refuse": (_("Join request refused"), _("Refused the request of %(email)s to join")),
    "membership.roles": (_("Roles changed"), _("Changed the roles of %(email)s to: %(roles)s")),
    "membership.remove": (_("Member removed"), _("Removed %(email)s from the organisation")),
    "organisation.update": (pgettext_lazy("audit", "Settings changed"), _("Changed the organisation's settings")),
    "scheme.version": (_("Scheme version saved"),
                       _("Saved version %(version)s of %(scheme)s, in effect from %(effective_from)s")),
}

# The outgoing-mail limits (accounts/mail_limits.py) as they read in a refused send's sentence.
MAIL_LIMIT_LABELS = {
    "resend_interval": _("sent again too soon"),
    "sends_per_item": _("already sent the most times allowed"),
    "sender_per_day": _("the sender's limit for 24 hours was reached"),
    "organisation_per_day": _("the organisation's limit for 24 hours was reached"),
}

_registered: dict[str, tuple[Any, Any]] = {}
_registered_labels: dict[str, Any] = {}


def register(actions: Mapping[str, tuple[Any, Any]], *, value_labels: Mapping[str, Any] | None = None) -> None:
    """Add an app's action wording (code → (label, sentence)), and codes stored in event data that read better
    as labels (statuses, kinds). Called from the app's `AppConfig.ready`."""
    _registered.update(actions)
    _registered_labels.update(value_labels or {})


def all_actions() -> dict[str, tuple[Any, Any]]:
    return {**ACTIONS, **_registered}


# Keys of event data whose values are codes with labels (below).
LABELLED_KEYS = ("from_status", "to_status", "kind", "limit")


def _value_labels() -> dict[str, StrOrPromise]:
    """Codes stored in event data that read better as their labels (statuses, dossier kinds, mail limits)."""
    return {**_registered_labels, **MAIL_LIMIT_LABELS}


def _role_words(codes: list[str]) -> str:
    return ", ".join(str(Role(code).label).lower() for code in codes if code in Role.values)


def describe(event: AuditEvent) -> str:
    """The event as a sentence in the current language."""
    label, sentence = all_actions().get(event.action, (event.action, event.action))
    values = _value_labels()
    params = {}
    for key, value in event.data.items():
        if isinstance(value, str | int):
            params[key] = str(values[value]) if key in LABELLED_KEYS and value in values else value
    if "role" in event.data:
        params["role"] = _role_words([event.data["role"]])
    if "roles" in event.data:
        params["roles"] = _role_words(event.data["roles"])
    try:
        return str(sentence) % params
    except (KeyError, TypeError, ValueError):
        return str(label)


def action_choices() -> list[tuple[str, str]]:
    return [(code, str(label)) for code, (label, _sentence) in all_actions().items()]
