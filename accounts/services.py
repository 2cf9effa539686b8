"""Changes to organisations, memberships and invitations. Views call these; nothing else writes.

Keyword-only, atomic; e-mail leaves only after the transaction commits (through Celery).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy

from accounts.mail import mail_send, recipient_language, site_url
from accounts.mail_limits import (
    INTERVAL,
    ORGANISATION_DAY,
    PER_ITEM,
    MailAllowance,
    MailKind,
    MailLimitReached,
    daily_use,
    mail_allowance,
    mail_send_claim,
    refusal_data,
)
from accounts.models import (
    ROLE_FIELDS,
    AuditEvent,
    Invitation,
    JoinRequest,
    Membership,
    Organisation,
    Role,
    User,
    invitation_expiry,
)
from accounts.tenancy import activate_organisation


def audit_record(*, organisation: Organisation, actor: User | None, action: str, **data: Any) -> AuditEvent:
    """Append to the audit trail. `data` holds codes and values; accounts/audit.py words them on display."""
    return AuditEvent.objects.create(organisation=organisation, actor=actor, action=action, data=data)


def email_enqueue(*, to: str, subject: str, body: str, html: str | None = None,
                  organisation: Organisation | None = None, headers: dict[str, str] | None = None) -> None:
    """Send an e-mail through the task queue, via the outbox: it leaves after the transaction commits,
    and waits in the outbox if the broker is down. `organisation` records a refused address for it."""
    from accounts.outbox import outbox_enqueue

    outbox_enqueue("accounts.tasks.send_email", to=[to], subject=subject, body=body, html=html,
                   organisation_id=organisation.pk if organisation else None, headers=headers or {})


INVITATION_MAIL = MailKind(
    code="invitation",
    interval_minutes="INVITATION_RESEND_MINUTES", max_sends="INVITATION_MAX_SENDS",
    organisation_per_day="INVITATION_SENDS_PER_ORGANISATION_PER_DAY",
    words={
        INTERVAL: ngettext_lazy(
            "You can send this invitation again from %(time)s (at most one send every %(minutes)s minute).",
            "You can send this invitation again from %(time)s (at most one send every %(minutes)s minutes).",
            "minutes"),
        PER_ITEM: ngettext_lazy(
            "This invitation has been sent %(max)s time, the most allowed for one invitation. Check the address: "
            "if it is wrong, revoke this invitation and invite the right one.",
            "This invitation has been sent %(max)s times, the most allowed for one invitation. Check the address: "
            "if it is wrong, revoke this invitation and invite the right one.", "max"),
        ORGANISATION_DAY: ngettext_lazy(
            "%(organisation)s has sent %(max)s invitation in the last 24 hours, the most allowed. You can send the "
            "next one from %(time)s.",
            "%(organisation)s has sent %(max)s invitations in the last 24 hours, the most allowed. You can send the "
            "next one from %(time)s.", "max"),
    })


def invitation_allowances(*, organisation: Organisation, invitations: list[Invitation]) -> MailAllowance:
    """Put on each invitation whether it may be sent again now (`send_allowance`); return the allowance of
    a new invitation. One query, however many invitations."""
    daily = daily_use(organisation=organisation, kind=INVITATION_MAIL)
    now = timezone.now()
    for invitation in invitations:
        allowance = mail_allowance(organisation=organisation, kind=INVITATION_MAIL, daily=daily,
                                   sends=invitation.send_count, last_sent_at=invitation.last_sent_at, now=now)
        invitation.send_allowance = allowance  # type: ignore[attr-defined]  # for the members page
    return mail_allowance(organisation=organisation, kind=INVITATION_MAIL, daily=daily, now=now)


def _invitation_send(invitation: Invitation, token: str, by: User) -> None:
    """Send (or send again) under the outgoing-mail limits; MailLimitReached if one is reached."""
    mail_send_claim(organisation=invitation.organisation, kind=INVITATION_MAIL, sender=by, object_id=invitation.pk,
                    sends=invitation.send_count, last_sent_at=invitation.last_sent_at)
    invitation.last_sent_at = timezone.now()
    invitation.send_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "last_sent_at", "send_count"])
    organisation = invitation.organisation
    # The invitee may have no account yet: write in the organisation's language.
    mail_send(to=invitation.email, template="accounts/email/invitation", organisation=organisation,
              language=recipient_language(None, organisation), context={
                  "invitation": invitation, "organisation": organisation, "role": Role(invitation.role).label,
                  "link": site_url("invitation_accept", org=organisation.slug, token=token),
                  "inviter": invitation.invited_by, "valid_days": settings.INVITATION_VALID_DAYS})


def invitation_create(*, organisation: Organisation, email: str, role: str, by: User) -> Invitation:
    """Invite an address with one role; refused (and the refusal audited) beyond the organisation's daily
    invitation limit."""
    try:
        return _invitation_create(organisation=organisation, email=email, role=role, by=by)
    except MailLimitReached as refusal:  # recorded outside the rolled-back transaction
        audit_record(organisation=organisation, actor=by, action="invitation.send_refused",
                     email=email.strip().lower(), attempt="create", **refusal_data(refusal))
        raise


@transaction.atomic
def _invitation_create(*, organisation: Organisation, email: str, role: str, by: User) -> Invitation:
    email = email.strip().lower()
    existing = Membership.objects.for_organisation(organisation).filter(user__email__iexact=email).first()
    if existing is not None and existing.has_role(Role(role)):
        raise ValidationError(_("%(email)s is already a member with this role.") % {"email": email},
                              code="already_member")
    pending = [i for i in Invitation.objects.for_organisation(organisation).filter(email__iexact=email)
               if i.state == Invitation.State.PENDING]
    if pending:
        raise ValidationError(_("%(email)s already has a pending invitation; resend it instead.")
                              % {"email": email}, code="already_invited")
    invitation = Invitation(organisation=organisation, email=email, role=Role(role), invited_by=by)
    token = invitation.new_token()
    invitation.save()
    _invitation_send(invitation, token, by)
    audit_record(organisation=organisation, actor=by, action="invitation.create", email=email,
                 role=str(Role(role)), invitation=invitation.pk)
    return invitation


def invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    """Send a new link (the old one stops working), within the per-invitation and daily limits."""
    try:
        return _invitation_resend(invitation=invitation, by=by)
    except MailLimitReached as refusal:
        audit_record(organisation=invitation.organisation, actor=by, action="invitation.send_refused",
                     email=invitation.email, invitation=invitation.pk, attempt="resend", **refusal_data(refusal))
        raise


@transaction.atomic
def _invitation_resend(*, invitation: Invitation, by: User) -> Invitation:
    # Locked, so two resends at once are counted one after the other.
    invitation = (Invitation.objects.for_organisation(invitation.organisation_id).select_for_update(of=("self",))
                  .select_related("organisation", "invited_by").get(pk=invitation.pk))
    if invitation.state == Invitation.State.ACCEPTED:
        raise ValidationError(_("This invitation has already been accepted; there is nothing to resend."),
                              code="closed")
    if invitation.state == Invitation.State.REVOKED:
        raise ValidationError(_("This invitation was revoked; invite the address again instead."), code="closed")
    token = invitation.new_token()  # the old link stops working
    invitation.expires_at = invitation_expiry()
    _invitation_send(invitation, token, by)
    audit_record(organisation=invitation.organisation, actor=by, action="invitation.resend",
                 email=invitation.email, invitation=invitation.pk)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: User) -> Invitation:
    if invitation.state != Invitation.State.PENDING and invitation.state != Invitation.State.EXPIRED:
        raise ValidationError(_("Only an open invitation can be revoked."), code="closed")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(organisation=invitation.organisation, actor=by, action="invitation.revoke",
                 email=invitation.email, invitation=invitation.pk)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the organisation (or gain the invited role). The link is single-use."""
    # Lock the row so two clicks cannot both accept.
    invitation = Invitation.objects.for_organisation(invitation.organisation_id).select_for_update().get(
        pk=invitation.pk)
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise ValidationError(_("This invitation has already been used."), code="used")
    if state == Invitation.State.REVOKED:
        raise ValidationError(_("This invitation was withdrawn by the organisation."), code="revoked")
    if state == Invitation.State.EXPIRED:
        raise ValidationError(_("This invitation has expired. Ask the organisation to send it again."),
                              code="expired")
    if invitation.email.lower() != user.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Sign in with that address to accept it.")
            % {"email": invitation.email}, code="wrong_user")
    organisation = invitation.organisation
    membership = Membership.objects.for_organisation(organisation).filter(user=user).first()
    if membership is None:
        membership = Membership(organisation=organisation, user=user)
    setattr(membership, ROLE_FIELDS[Role(invitation.role)], True)
    membership.save()
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(organisation=organisation, actor=user, action="invitation.accept", email=user.email,
                 role=invitation.role, invitation=invitation.pk)
    return membership


def _other_admins_exist(membership: Membership) -> bool:
    return (Membership.objects.for_organisation(membership.organisation_id).with_role(Role.ADMIN)
            .exclude(pk=membership.pk).exists())


@transaction.atomic
def membership_update_roles(*, membership: Membership, roles: list[str], by: User) -> Membership:
    if not roles:
        raise ValidationError(_("Choose at least one role, or remove the member instead."), code="no_roles")
    # Lock the organisation's admin rows so two administrators demoting each other cannot both succeed.
    list(Membership.objects.for_organisation(membership.organisation_id).with_role(Role.ADMIN)
         .select_for_update())
    if membership.is_admin and Role.ADMIN not in roles and not _other_admins_exist(membership):
        raise ValidationError(_("An organisation needs at least one administrator: appoint another "
                                "administrator before removing this role."), code="last_admin")
    before = [str(r) for r in membership.roles]
    membership.set_roles(roles)
    membership.save(update_fields=list(ROLE_FIELDS.values()))
    audit_record(organisation=membership.organisation, actor=by, action="membership.roles",
                 email=membership.user.email, before=before, roles=[str(r) for r in membership.roles])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: User) -> None:
    list(Membership.objects.for_organisation(membership.organisation_id).with_role(Role.ADMIN)
         .select_for_update())
    if membership.is_admin and not _other_admins_exist(membership):
        raise ValidationError(_("An organisation needs at least one administrator: appoint another "
                                "administrator before removing this one."), code="last_admin")
    audit_record(organisation=membership.organisation, actor=by, action="membership.remove",
                 email=membership.user.email, user=membership.user_id)
    Membership.objects.for_organisation(membership.organisation_id).filter(pk=membership.pk).delete()


@transaction.atomic
def organisation_update(*, organisation: Organisation, by: User, changed: list[str]) -> Organisation:
    organisation.save()
    audit_record(organisation=organisation, actor=by, action="organisation.update", fields=changed)
    return organisation


# --- Join requests ---------------------------------------------------------------------------------------

# A person asks at most this many organisations to let them in per 24 hours; an organisation receives at most
# this many requests per 24 hours (each one mails its administrators); after a refusal the same person waits
# this many days before asking that organisation again.
JOIN_REQUESTS_PER_USER_PER_DAY = 5
JOIN_REQUESTS_PER_ORGANISATION_PER_DAY = 50
JOIN_REQUEST_AFTER_REFUSAL_DAYS = 30


def join_request_create(*, organisation: Organisation, user: User, message: str = "") -> JoinRequest:
    """Ask to join an organisation that allows join requests; its administrators are told by e-mail.

    Refused (ValidationError) when the organisation does not take requests, the person is already a member or
    already has an open request there, was refused recently, or a daily limit is reached."""
    try:
        return _join_request_create(organisation=organisation, user=user, message=message)
    except IntegrityError:  # a second click raced the first: the constraint keeps one open request
        raise ValidationError(_("You have already asked to join %(organisation)s; an administrator will decide.")
                              % {"organisation": organisation.name}, code="duplicate") from None


@transaction.atomic
def _join_request_create(*, organisation: Organisation, user: User, message: str) -> JoinRequest:
    # Lock the organisation (no key update: only other join requests to it wait) so the limits hold under races.
    organisation = Organisation.objects.select_for_update(no_key=True).get(pk=organisation.pk)
    if not organisation.allow_join_requests:
        raise ValidationError(_("%(organisation)s does not take join requests. Ask its administrator for an "
                                "invitation.") % {"organisation": organisation.name}, code="closed")
    activate_organisation(organisation)
    if Membership.objects.for_organisation(organisation).filter(user=user).exists():
        raise ValidationError(_("You are already a member of %(organisation)s.")
                              % {"organisation": organisation.name}, code="member")
    mine = JoinRequest.objects.for_user(user)
    if mine.filter(organisation=organisation, status=JoinRequest.Status.PENDING).exists():
        raise ValidationError(_("You have already asked to join %(organisation)s; an administrator will decide.")
                              % {"organisation": organisation.name}, code="duplicate")
    now = timezone.now()
    refused_since = now - timedelta(days=JOIN_REQUEST_AFTER_REFUSAL_DAYS)
    if mine.filter(organisation=organisation, status=JoinRequest.Status.REFUSED, decided_at__gt=refused_since).exists():
        raise ValidationError(ngettext(
            "%(organisation)s refused your request less than %(days)s day ago; you can ask again later.",
            "%(organisation)s refused your request less than %(days)s days ago; you can ask again later.",
            JOIN_REQUEST_AFTER_REFUSAL_DAYS) % {"organisation": organisation.name,
                                                 "days": JOIN_REQUEST_AFTER_REFUSAL_DAYS}, code="refused")
    day_ago = now - timedelta(hours=24)
    if mine.filter(created_at__gt=day_ago).count() >= JOIN_REQUESTS_PER_USER_PER_DAY:
        raise ValidationError(ngettext(
            "You have asked %(max)s organisation to let you in during the last 24 hours, the most allowed. "
            "Try again tomorrow.",
            "You have asked %(max)s organisations to let you in during the last 24 hours, the most allowed. "
            "Try again tomorrow.", JOIN_REQUESTS_PER_USER_PER_DAY) % {"max": JOIN_REQUESTS_PER_USER_PER_DAY},
            code="user_limit")
    received = JoinRequest.objects.for_organisation(organisation).filter(created_at__gt=day_ago).count()
    if received >= JOIN_REQUESTS_PER_ORGANISATION_PER_DAY:
        raise ValidationError(_("%(organisation)s has received the most join requests allowed in 24 hours. "
                                "Try again tomorrow.") % {"organisation": organisation.name}, code="org_limit")
    join_request = JoinRequest.objects.create(organisation=organisation, user=user, message=message.strip())
    audit_record(organisation=organisation, actor=user, action="join_request.create", email=user.email,
                 join_request=join_request.pk)
    admins = Membership.objects.for_organisation(organisation).with_role(Role.ADMIN).select_related("user")
    link = site_url("join_request_decide", org=organisation.slug, pk=join_request.pk)
    for admin in admins:
        mail_send(to=admin.user.email, template="accounts/email/join_request", organisation=organisation,
                  language=recipient_language(admin.user, organisation),
                  context={"organisation": organisation, "requester": user, "join_request": join_request,
                           "link": link})
    return join_request


def _pending_for_decision(join_request: JoinRequest) -> JoinRequest:
    locked: JoinRequest = JoinRequest.objects.for_organisation(join_request.organisation_id).select_for_update().get(
        pk=join_request.pk)
    if locked.status != JoinRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."), code="decided")
    return locked


@transaction.atomic
def join_request_approve(*, join_request: JoinRequest, by: User) -> Membership:
    """Approve: the person becomes a professional member (or gains that role) and is told by e-mail."""
    join_request = _pending_for_decision(join_request)
    organisation = join_request.organisation
    membership = Membership.objects.for_organisation(organisation).filter(user=join_request.user).first()
    if membership is None:
        membership = Membership(organisation=organisation, user=join_request.user)
    membership.is_professional = True
    membership.save()
    join_request.status = JoinRequest.Status.APPROVED
    join_request.decided_at = timezone.now()
    join_request.decided_by = by
    join_request.save(update_fields=["status", "decided_at", "decided_by"])
    audit_record(organisation=organisation, actor=by, action="join_request.approve",
                 email=join_request.user.email, join_request=join_request.pk, role=str(Role.PROFESSIONAL))
    mail_send(to=join_request.user.email, template="accounts/email/join_request_approved", organisation=organisation,
              language=recipient_language(join_request.user, organisation),
              context={"organisation": organisation, "link": site_url("org_home", org=organisation.slug)})
    return membership


@transaction.atomic
def join_request_refuse(*, join_request: JoinRequest, by: User, reason: str) -> JoinRequest:
    """Refuse with a reason, which the person receives by e-mail."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why, so the person knows what to do instead.")]})
    join_request = _pending_for_decision(join_request)
    organisation = join_request.organisation
    join_request.status = JoinRequest.Status.REFUSED
    join_request.reason = reason
    join_request.decided_at = timezone.now()
    join_request.decided_by = by
    join_request.save(update_fields=["status", "reason", "decided_at", "decided_by"])
    audit_record(organisation=organisation, actor=by, action="join_request.refuse",
                 email=join_request.user.email, join_request=join_request.pk)
    mail_send(to=join_request.user.email, template="accounts/email/join_request_refused", organisation=organisation,
              language=recipient_language(join_request.user, organisation),
              context={"organisation": organisation, "reason": reason})
    return join_request
