"""Signed statements asked of third parties: request, resend, withdraw; sign or decline (no account).

The signer's link carries a one-time token; only its SHA-256 is stored (like invitations), so a database
leak does not leak usable links. Resending replaces the token, so the old link stops working. A signed
statement is final: neither the professional nor the signer can change it. E-mail leaves after commit.

The request mails the professional's own words to an address they typed, so it is bounded like all such
mail (accounts/mail_limits.py: per request, per professional and per organisation per day; refusals are
audited), the message is plain text, cleaned and length-bounded, quoted as theirs, and the mail says who
asked (name and verified address, also the Reply-To) and for which organisation. What the signer can do
(sign, decline) closes the link and mails the professional once, so it adds no unbounded mail either.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy

from accounts.mail import mail_send, recipient_language, site_url
from accounts.mail_limits import (
    INTERVAL,
    ORGANISATION_DAY,
    PER_ITEM,
    SENDER_DAY,
    MailAllowance,
    MailKind,
    MailLimitReached,
    daily_use,
    mail_allowance,
    mail_send_claim,
    refusal_data,
)
from accounts.models import Organisation, User, hash_token
from accounts.services import audit_record
from dossiers.models import Dossier, StatementRequest
from dossiers.services.dossiers import lock_draft, section_definition, statement_state
from portfolios import reports
from schemes.rules.definition import Section, StatementRequirement

AUDIT_ACTIONS = {
    "statement.request": (gettext_lazy("Statement requested"),
                          gettext_lazy("Asked %(email)s to sign a statement for section %(section)s")),
    "statement.resend": (gettext_lazy("Statement request sent again"),
                         gettext_lazy("Sent the statement request to %(email)s again")),
    "statement.send_refused": (gettext_lazy("Statement e-mail not sent (limit reached)"),
                               gettext_lazy("Did not send the statement request to %(email)s: %(limit)s")),
    "statement.withdraw": (gettext_lazy("Statement request withdrawn"),
                           gettext_lazy("Withdrew the statement request to %(email)s")),
    "statement.sign": (gettext_lazy("Statement signed"),
                       gettext_lazy("%(email)s signed the statement for section %(section)s as %(signed_name)s")),
    "statement.decline": (gettext_lazy("Statement declined"),
                          gettext_lazy("%(email)s declined to sign the statement for section %(section)s")),
    "statement.rerequest": (gettext_lazy("Statement asked for again"),
                            gettext_lazy("Asked %(email)s to sign the statement for section %(section)s again "
                                         "(the earlier signature no longer counts)")),
}


STATEMENT_MAIL = MailKind(
    code="statement",
    interval_minutes="STATEMENT_RESEND_MINUTES", max_sends="STATEMENT_MAX_SENDS",
    sender_per_day="STATEMENT_SENDS_PER_PROFESSIONAL_PER_DAY",
    organisation_per_day="STATEMENT_SENDS_PER_ORGANISATION_PER_DAY",
    words={
        INTERVAL: ngettext_lazy(
            "You can send this request again from %(time)s (at most one send every %(minutes)s minute).",
            "You can send this request again from %(time)s (at most one send every %(minutes)s minutes).",
            "minutes"),
        PER_ITEM: ngettext_lazy(
            "This request has been sent %(max)s time, the most allowed for one request. If it has not arrived, "
            "check the address with the signer, then withdraw this request and ask again.",
            "This request has been sent %(max)s times, the most allowed for one request. If it has not arrived, "
            "check the address with the signer, then withdraw this request and ask again.", "max"),
        SENDER_DAY: ngettext_lazy(
            "You have sent %(max)s statement e-mail in the last 24 hours (new requests and new links together), "
            "the most allowed. You can send the next one from %(time)s.",
            "You have sent %(max)s statement e-mails in the last 24 hours (new requests and new links together), "
            "the most allowed. You can send the next one from %(time)s.", "max"),
        ORGANISATION_DAY: ngettext_lazy(
            "%(organisation)s has sent %(max)s statement e-mail in the last 24 hours, the most allowed for the "
            "organisation. You can send the next one from %(time)s.",
            "%(organisation)s has sent %(max)s statement e-mails in the last 24 hours, the most allowed for the "
            "organisation. You can send the next one from %(time)s.", "max"),
    })

# Characters that could hide or disguise text in a mail: controls (but tab and newline), zero-width and
# direction-changing marks.
_HIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
DECLINE_REASON_MAX_CHARS = 2000  # as the signer's form allows; mailed to the professional once


def valid_days() -> int:
    return int(getattr(settings, "STATEMENT_VALID_DAYS", 14))


def message_max_chars() -> int:
    return int(settings.STATEMENT_MESSAGE_MAX_CHARS)


def clean_message(text: str) -> str:
    """The professional's note as it is mailed: plain text without hidden characters or runs of blank
    lines, at most STATEMENT_MESSAGE_MAX_CHARS characters (ValidationError beyond)."""
    text = _HIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.split("\n"))).strip()
    if len(text) > message_max_chars():
        raise ValidationError({"message": ngettext(
            "Keep the message to at most %(max)s character (it has %(length)s).",
            "Keep the message to at most %(max)s characters (it has %(length)s).", message_max_chars())
            % {"max": message_max_chars(), "length": len(text)}}, code="message_too_long")
    return text


def clean_line(text: str) -> str:
    """A name or role for one line of a mail: no hidden characters, no line breaks."""
    return " ".join(_HIDDEN.sub("", text).split())


def statement_allowances(*, organisation: Organisation, sender: User,
                         statements: list[StatementRequest]) -> MailAllowance:
    """Put on each statement whether a new link may be sent now (`send_allowance`, with the words for the
    page); return the allowance of a new request. At most two queries, however many statements."""
    daily = daily_use(organisation=organisation, kind=STATEMENT_MAIL, sender=sender)
    now = timezone.now()
    for statement in statements:
        allowance = mail_allowance(organisation=organisation, kind=STATEMENT_MAIL, daily=daily,
                                   sends=statement.send_count, last_sent_at=statement.last_sent_at, now=now)
        statement.send_allowance = allowance  # type: ignore[attr-defined]  # for the dossier pages
    return mail_allowance(organisation=organisation, kind=STATEMENT_MAIL, daily=daily, now=now)


def statement_requirement(dossier: Dossier, section_code: str, requirement_code: str
                          ) -> tuple[Section, StatementRequirement]:
    """The section and statement requirement of the dossier's scheme version; ValidationError if none."""
    section = section_definition(dossier.scheme_version.rules, section_code)
    if section is not None and dossier.kind in section.applies_to:
        for requirement in section.requirements:
            if isinstance(requirement, StatementRequirement) and requirement.code == requirement_code:
                return section, requirement
    raise ValidationError(_("This dossier asks for no such statement."), code="requirement")


def closed_message(state: str) -> str:
    """What a signer is told when their link no longer works."""
    return {
        "expired": _("This link has expired. Ask the person who sent it to send you a new one."),
        "signed": _("This statement has already been signed. Thank you — there is nothing more to do."),
        "declined": _("You declined to sign this statement. If that was a mistake, ask for a new link."),
        "withdrawn": _("This request was withdrawn by the person who sent it. There is nothing more to do."),
        "submitted": _("The dossier this statement was for has already been submitted. There is nothing more "
                       "to do."),
    }.get(state, _("This link no longer works."))


def _request_context(statement: StatementRequest, token: str) -> dict[str, Any]:
    """The request mail's context (built in the signer's language)."""
    dossier = statement.dossier
    organisation = statement.organisation
    section, requirement = statement_requirement(dossier, statement.section_code, statement.requirement_code)
    return {
        "statement": statement, "organisation": organisation,
        "link": site_url("statement_sign", org=organisation.slug, token=token),
        "requester": clean_line(dossier.owner.get_full_name()) or dossier.owner.email,
        "requester_email": dossier.owner.email,
        "quoted_message": "\n".join(f"> {line}".rstrip() for line in statement.message.split("\n"))
        if statement.message else "",
        "requirement": reports.label(requirement.label, requirement.code),
        "requirement_description": reports.label(requirement.description),
        "section": reports.label(section.label, section.code),
        "expires": reports.day_of(statement.expires_at),
    }


def _send(statement: StatementRequest, token: str, by: User) -> None:
    """Send (or send again) within the outgoing-mail limits; MailLimitReached if one is reached."""
    mail_send_claim(organisation=statement.organisation, kind=STATEMENT_MAIL, sender=by, object_id=statement.pk,
                    sends=statement.send_count, last_sent_at=statement.last_sent_at)
    statement.last_sent_at = timezone.now()
    statement.send_count += 1
    statement.save(update_fields=["token_hash", "expires_at", "status", "decline_reason", "closed_at",
                                  "last_sent_at", "send_count"])
    # Plain text only (no HTML part carries the professional's words); replies go to the professional. The
    # signer has no account: write in the organisation's language.
    mail_send(to=statement.signer_email, template="dossiers/email/statement_request",
              organisation=statement.organisation, language=recipient_language(None, statement.organisation),
              context=lambda: _request_context(statement, token), headers={"Reply-To": statement.dossier.owner.email})


def _new_token(statement: StatementRequest) -> str:
    token = secrets.token_urlsafe(32)
    statement.token_hash = hash_token(token)
    statement.expires_at = timezone.now() + dt.timedelta(days=valid_days())
    return token


def statement_request(*, dossier: Dossier, section_code: str, requirement_code: str, signer_name: str,
                      signer_email: str, by: User, signer_role: str = "", message: str = ""
                      ) -> StatementRequest:
    """Ask a third party to sign one statement; they get an e-mailed one-time link (valid for
    STATEMENT_VALID_DAYS, default 14). Refused beyond the daily limits; the refusal is audited."""
    try:
        return _statement_request(dossier=dossier, section_code=section_code, requirement_code=requirement_code,
                                  signer_name=signer_name, signer_email=signer_email, by=by,
                                  signer_role=signer_role, message=message)
    except MailLimitReached as refusal:  # recorded outside the rolled-back transaction
        audit_record(organisation=dossier.organisation, actor=by, action="statement.send_refused",
                     email=signer_email.strip().lower(), section=section_code, requirement=requirement_code,
                     dossier=dossier.pk, attempt="request", **refusal_data(refusal))
        raise


@transaction.atomic
def _statement_request(*, dossier: Dossier, section_code: str, requirement_code: str, signer_name: str,
                       signer_email: str, by: User, signer_role: str, message: str) -> StatementRequest:
    lock_draft(dossier)
    statement_requirement(dossier, section_code, requirement_code)
    signer_email = signer_email.strip().lower()
    if signer_email == by.email.lower():
        raise ValidationError({"signer_email": _("A statement must be signed by someone else: enter the "
                                                 "address of the person who confirms it.")}, code="self")
    statement = StatementRequest(organisation=dossier.organisation, dossier=dossier, section_code=section_code,
                                 requirement_code=requirement_code, signer_name=clean_line(signer_name),
                                 signer_email=signer_email, signer_role=clean_line(signer_role),
                                 message=clean_message(message))
    if not statement.signer_name:
        raise ValidationError({"signer_name": _("Enter the signer's name.")}, code="no_name")
    token = _new_token(statement)
    statement.save()
    _send(statement, token, by)
    audit_record(organisation=dossier.organisation, actor=by, action="statement.request", email=signer_email,
                 section=section_code, requirement=requirement_code, dossier=dossier.pk, statement=statement.pk)
    return statement


def _lock(statement: StatementRequest) -> StatementRequest:
    return (StatementRequest.objects.for_organisation(statement.organisation_id).select_for_update(of=("self",))
            .select_related("dossier__owner", "dossier__scheme_version", "organisation").get(pk=statement.pk))


def statement_resend(*, statement: StatementRequest, by: User) -> StatementRequest:
    """Send a new link (new token, new expiry): the old link stops working. Also reopens a declined one.
    Within the limits per request and per day; a refusal is audited."""
    try:
        return _statement_resend(statement=statement, by=by)
    except MailLimitReached as refusal:
        audit_record(organisation=statement.organisation, actor=by, action="statement.send_refused",
                     email=statement.signer_email, section=statement.section_code, statement=statement.pk,
                     attempt="resend", **refusal_data(refusal))
        raise


@transaction.atomic
def _statement_resend(*, statement: StatementRequest, by: User) -> StatementRequest:
    if not statement.dossier.statement_reopened(statement.pk):
        lock_draft(statement.dossier)
    locked = _lock(statement)
    state = statement_state(locked)
    if state == StatementRequest.Status.SIGNED:
        raise ValidationError(_("This statement has been signed; there is nothing to resend."), code="signed")
    if state == StatementRequest.Status.WITHDRAWN:
        raise ValidationError(_("This request was withdrawn; request a new statement instead."), code="withdrawn")
    token = _new_token(locked)
    locked.status = StatementRequest.Status.REQUESTED
    locked.decline_reason = ""
    locked.closed_at = None
    _send(locked, token, by)
    audit_record(organisation=locked.organisation, actor=by, action="statement.resend", email=locked.signer_email,
                 section=locked.section_code, statement=locked.pk, previous_state=state)
    return locked


@transaction.atomic
def statement_withdraw(*, statement: StatementRequest, by: User) -> StatementRequest:
    """Withdraw an open (or expired or declined) request; its link stops working. Signed ones are final."""
    lock_draft(statement.dossier)
    locked = _lock(statement)
    state = statement_state(locked)
    if state == StatementRequest.Status.SIGNED:
        raise ValidationError(_("A signed statement cannot be withdrawn."), code="signed")
    if state == StatementRequest.Status.WITHDRAWN:
        raise ValidationError(_("This request has already been withdrawn."), code="withdrawn")
    locked.status = StatementRequest.Status.WITHDRAWN
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    audit_record(organisation=locked.organisation, actor=by, action="statement.withdraw", email=locked.signer_email,
                 section=locked.section_code, statement=locked.pk)
    return locked


def statement_rerequest(*, statement: StatementRequest, by: User) -> StatementRequest:
    """A request for information asks for this statement again: the earlier request (signed or not) is
    withdrawn, so its signature no longer counts, and its signer gets a new request with a new link (sent on
    behalf of the dossier's owner, within their mail limits). The caller reopens the new request on the
    submitted dossier (Dossier.reopened) in the same transaction."""
    locked = _lock(statement)
    if statement_state(locked) == StatementRequest.Status.WITHDRAWN:
        raise ValidationError(_("This request was withdrawn; request a new statement instead."), code="withdrawn")
    locked.status = StatementRequest.Status.WITHDRAWN
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "closed_at"])
    fresh = StatementRequest(organisation=locked.organisation, dossier=locked.dossier,
                             section_code=locked.section_code, requirement_code=locked.requirement_code,
                             signer_name=locked.signer_name, signer_email=locked.signer_email,
                             signer_role=locked.signer_role, message=locked.message)
    token = _new_token(fresh)
    fresh.save()
    audit_record(organisation=locked.organisation, actor=by, action="statement.rerequest", email=fresh.signer_email,
                 section=fresh.section_code, statement=fresh.pk, previous=locked.pk, dossier=locked.dossier_id)
    try:
        with transaction.atomic():
            _send(fresh, token, locked.dossier.owner)
    except MailLimitReached as refusal:  # the request stands; the professional can send it again later
        audit_record(organisation=fresh.organisation, actor=by, action="statement.send_refused",
                     email=fresh.signer_email, section=fresh.section_code, statement=fresh.pk,
                     attempt="rerequest", **refusal_data(refusal))
    return fresh


def sign_state(statement: StatementRequest) -> str:
    """What the signer's link shows: "open", or why it is closed (expired, signed, declined, withdrawn,
    submitted)."""
    state = statement_state(statement)
    if state != StatementRequest.Status.REQUESTED:
        return state
    if statement.dossier.is_locked and not statement.dossier.statement_reopened(statement.pk):
        return "submitted"
    return "open"


def _lock_open(statement: StatementRequest) -> StatementRequest:
    # The dossier first (as submission does), so a statement cannot be signed while a submission freezes it.
    Dossier.objects.for_organisation(statement.organisation_id).select_for_update().filter(
        pk=statement.dossier_id).first()
    locked = _lock(statement)
    state = sign_state(locked)
    if state != "open":
        raise ValidationError(closed_message(state), code=state)
    return locked


def _notify_owner(statement: StatementRequest, template: str) -> None:
    owner, dossier, organisation = statement.dossier.owner, statement.dossier, statement.organisation
    section, requirement = statement_requirement(dossier, statement.section_code, statement.requirement_code)
    mail_send(to=owner.email, template=f"dossiers/email/statement_{template}", organisation=organisation,
              language=recipient_language(owner, organisation), context=lambda: {
                  "statement": statement, "organisation": organisation, "owner": owner,
                  "link": site_url("dossier_detail", org=organisation.slug, pk=dossier.pk),
                  "requirement": reports.label(requirement.label, requirement.code),
                  "section": reports.label(section.label, section.code)})


@transaction.atomic
def statement_sign(*, statement: StatementRequest, fields: dict[str, Any], signed_name: str) -> StatementRequest:
    """Record the signer's answers, typed name and the moment of signing. The link is single-use."""
    locked = _lock_open(statement)
    _section, requirement = statement_requirement(locked.dossier, locked.section_code, locked.requirement_code)
    known = {item.code: item.type for item in requirement.fields}
    stored: dict[str, Any] = {}
    for code, kind in known.items():
        value = fields.get(code)
        if kind == "boolean":
            stored[code] = bool(value)
        elif kind == "date":
            stored[code] = value.isoformat() if isinstance(value, dt.date) else (str(value) if value else None)
        elif kind == "integer":
            stored[code] = int(value) if value not in (None, "") else None
        else:
            stored[code] = str(value or "").strip()
        if kind != "boolean" and stored[code] in (None, ""):
            raise ValidationError({code: _("Fill this in: the statement must be complete.")}, code="incomplete")
    signed_name = " ".join(signed_name.split())
    if not signed_name:
        raise ValidationError({"signed_name": _("Type your full name to sign.")}, code="no_name")
    now = timezone.now()
    locked.fields = stored
    locked.signed_name = signed_name
    locked.signed_at = now
    locked.closed_at = now
    locked.status = StatementRequest.Status.SIGNED
    locked.save(update_fields=["fields", "signed_name", "signed_at", "closed_at", "status"])
    audit_record(organisation=locked.organisation, actor=None, action="statement.sign", email=locked.signer_email,
                 signed_name=signed_name, section=locked.section_code, statement=locked.pk)
    _notify_owner(locked, "signed")
    return locked


@transaction.atomic
def statement_decline(*, statement: StatementRequest, reason: str) -> StatementRequest:
    """The signer declines, saying why; the professional is told and may resend or ask someone else."""
    locked = _lock_open(statement)
    reason = _HIDDEN.sub("", reason).strip()
    if len(reason) > DECLINE_REASON_MAX_CHARS:
        raise ValidationError({"reason": _("Keep the reason to at most %(max)s characters.")
                               % {"max": DECLINE_REASON_MAX_CHARS}}, code="too_long")
    if not reason:
        raise ValidationError({"reason": _("Say briefly why you decline, so the requester knows what to do.")},
                              code="no_reason")
    locked.status = StatementRequest.Status.DECLINED
    locked.decline_reason = reason
    locked.closed_at = timezone.now()
    locked.save(update_fields=["status", "decline_reason", "closed_at"])
    audit_record(organisation=locked.organisation, actor=None, action="statement.decline",
                 email=locked.signer_email, section=locked.section_code, statement=locked.pk)
    _notify_owner(locked, "declined")
    return locked
