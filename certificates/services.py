"""The certifying body's changes: decisions, certificates issued and renewed by rule, suspension, withdrawal,
reinstatement, re-issue, the PeopleCert series extension, the daily lapse, appeals.

Every date a decision moves comes from the engine (`schemes.rules.renewal`); these functions store what it says,
write a history entry (who, when, why, the dates before and after), the audit trail, and tell the holder by mail in
their language. Status changes are conditional updates on a locked row, so a daily task and a person acting at the
same moment change a certificate once.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.mail import absolute_url, mail_send, recipient_language, site_url
from accounts.models import Membership, Organisation, User
from accounts.outbox import outbox_enqueue
from accounts.services import audit_record
from certificates import hooks
from certificates.models import (
    Appeal,
    AppealFile,
    Certificate,
    CertificateEvent,
    CertificatePdf,
    Decision,
    SeriesExtension,
)
from dossiers.models import Submission
from portfolios import evidence_files, reports
from portfolios.models import Certification, CertificationStatusChange
from schemes import rules
from schemes.models import SchemeVersion

logger = logging.getLogger(__name__)

AUDIT_ACTIONS = {
    "decision.record": (gettext_lazy("Certification decision recorded"),
                        gettext_lazy("Decided on %(number)s: %(outcome)s")),
    "decision.refused_involved": (gettext_lazy("Decision refused (involved in the case)"),
                                  gettext_lazy("Was not allowed to decide on %(number)s: took part in the case")),
    "certificate.issue": (gettext_lazy("Certificate issued"),
                          gettext_lazy("Issued certificate %(number)s, valid until %(expires_on)s")),
    "certificate.renew": (gettext_lazy("Certificate renewed"),
                          gettext_lazy("Renewed certificate %(number)s until %(expires_on)s")),
    "certificate.extend": (gettext_lazy("Product series extended"),
                           gettext_lazy("Extended the %(series)s certificates of %(email)s until %(expires_on)s")),
    "certificate.suspend": (gettext_lazy("Certificate suspended"),
                            gettext_lazy("Suspended certificate %(number)s until %(until)s")),
    "certificate.reinstate": (gettext_lazy("Certificate reinstated"),
                              gettext_lazy("Reinstated certificate %(number)s")),
    "certificate.withdraw": (gettext_lazy("Certificate withdrawn"), gettext_lazy("Withdrew certificate %(number)s")),
    "certificate.lapse": (gettext_lazy("Certificate lapsed"), gettext_lazy("Certificate %(number)s lapsed")),
    "certificate.reissue": (gettext_lazy("Certificate re-issued"),
                            gettext_lazy("Re-issued certificate %(number)s in the name %(name)s")),
    "certificate.register": (gettext_lazy("Register entry changed"),
                             gettext_lazy("Changed the register entry of certificate %(number)s")),
    "appeal.file": (gettext_lazy("Appeal filed"), gettext_lazy("Appealed against the decision on %(number)s")),
    "appeal.decide": (gettext_lazy("Appeal decided"),
                      gettext_lazy("Decided the appeal on %(number)s: %(outcome)s")),
}

Status = Certification.Status


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _absolute(path: str) -> str:
    return absolute_url(path)


def definition_for(certification: Certification, on: dt.date | None = None) -> rules.SchemeDefinition:
    """The definition in force for the certification's scheme (its own version when none is in force yet)."""
    version = SchemeVersion.objects.for_organisation(certification.organisation_id).in_force(
        _today(on), [certification.scheme_version.code]).get(certification.scheme_version.code)
    return (version or certification.scheme_version).rules


def dates_of(certification: Certification) -> rules.CertificateDates:
    return rules.CertificateDates(issued_on=certification.issued_on, expires_on=certification.expires_on,
                                  recertification_date=certification.recertification_date,
                                  cycle_start=certification.cycle_start, exam_passed_on=certification.exam_passed_on)


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _date_changes(before: rules.CertificateDates, after: rules.CertificateDates) -> dict[str, Any]:
    changes = {}
    for name in ("issued_on", "expires_on", "recertification_date", "cycle_start", "exam_passed_on"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            changes[name] = [_iso(old), _iso(new)]
    return changes


def _apply_dates(certification: Certification, dates: rules.CertificateDates) -> list[str]:
    changed = []
    for name in ("issued_on", "expires_on", "recertification_date", "cycle_start", "exam_passed_on"):
        value = getattr(dates, name)
        if value is not None and getattr(certification, name) != value:
            setattr(certification, name, value)
            changed.append(name)
    return changed


def public_status(certification: Certification, today: dt.date | None = None) -> str:
    """What anyone checking the certificate is told: valid, expired, suspended or withdrawn."""
    if certification.status == Status.WITHDRAWN:
        return "withdrawn"
    if certification.status == Status.SUSPENDED:
        return "suspended"
    if certification.status == Status.LAPSED or rules.has_expired(certification.expires_on, _today(today)):
        return "expired"
    return "valid"


PUBLIC_STATUS_LABELS = {
    "valid": gettext_lazy("Valid"), "expired": gettext_lazy("Expired"), "suspended": gettext_lazy("Suspended"),
    "withdrawn": gettext_lazy("Withdrawn"),
}


def _event(certification: Certification, kind: str, *, by: User | None, reason: str = "",
           data: dict[str, Any] | None = None, decision: Decision | None = None) -> CertificateEvent:
    return CertificateEvent.objects.create(organisation_id=certification.organisation_id, certification=certification,
                                           kind=kind, reason=reason, data=data or {}, decision=decision, by=by,
                                           at=timezone.now())


def _status(certification: Certification, to: str, *, by: User | None, note: str) -> None:
    """The portfolios status history too, so the administrators' certification page tells the same story."""
    CertificationStatusChange.objects.create(organisation_id=certification.organisation_id,
                                             certification=certification, from_status=certification.status,
                                             to_status=to, note=note[:300], changed_by=by)


def _mail(certification: Certification, template: str, **context: Any) -> None:
    """Tell the holder, in their language, with a link to their certificates."""
    holder = certification.holder
    organisation = certification.organisation

    def words() -> dict[str, Any]:  # built in the holder's language (dates worded in it)
        full = {"holder": holder, "organisation": organisation, "certification": certification,
                "link": site_url("my_certificates", org=organisation.slug),
                "scheme": certification.scheme_version.label, **context}
        return {key: reports.date(value) if isinstance(value, dt.date) else value for key, value in full.items()}

    mail_send(to=holder.email, template=f"certificates/email/{template}", organisation=organisation,
              language=recipient_language(holder, organisation), context=words)


# --- certificates ------------------------------------------------------------------------------------------------

def scope_of(submission: Submission | None) -> list[str]:
    """The scope areas the candidate declared in the dossier (CMI's four), from the frozen snapshot."""
    if submission is None:
        return []
    for section in submission.snapshot.get("sections", []):
        for requirement in section.get("requirements", []):
            if requirement.get("kind") == "choice" and requirement.get("code") == "scope":
                return [option["code"] for option in requirement.get("options", []) if option.get("selected")]
    return []


def scope_labels(definition: rules.SchemeDefinition, codes: Iterable[str]) -> list[str]:
    labels: dict[str, str] = {}
    for section in definition.sections:
        for requirement in section.requirements:
            if isinstance(requirement, rules.ChoiceRequirement) and requirement.code == "scope":
                labels.update({option.code: reports.label(option.label, option.code) for option in requirement.options})
    return [labels.get(code, code) for code in codes]


def certificate_ensure(certification: Certification, *, scope: list[str] | None = None) -> tuple[Certificate, bool]:
    """The certification's certificate, made on first use (name as the holder's profile has it now)."""
    certificate = Certificate.objects.for_organisation(certification.organisation_id).filter(
        certification=certification).first()
    if certificate is not None:
        return certificate, False
    holder = certification.holder
    certificate = Certificate.objects.create(organisation_id=certification.organisation_id,
                                             certification=certification,
                                             holder_name=holder.get_full_name() or holder.email, scope=scope or [])
    return certificate, True


def certificate_languages(certificate: Certificate) -> list[dict[str, Any]]:
    """The languages of the certificate: included ones, and paid extras with whether the holder has paid."""
    definition = definition_for(certificate.certification)
    found = []
    paid_fees = _paid_fees(certificate)
    for language, fee in rules.certificate_languages(definition):
        found.append({"language": language, "name": str(dict(settings.LANGUAGES).get(language, language)),
                      "fee": fee, "available": fee is None or fee in paid_fees})
    return found


def _paid_fees(certificate: Certificate) -> set[str]:
    """Fees of the holder's paid orders for this scheme (billing's charges; the English-language certificate)."""
    from billing.models import Charge, Invoice

    certification = certificate.certification
    return set(Charge.objects.for_organisation(certification.organisation_id).filter(
        customer_id=certification.holder_id, trigger=Charge.Trigger.ORDER,
        scheme_code=certification.scheme_version.code, invoice__status=Invoice.Status.PAID,
    ).values_list("fee_code", flat=True))


def language_available(certificate: Certificate, language: str) -> bool:
    return any(item["language"] == language and item["available"] for item in certificate_languages(certificate))


def pdfs_queue(certificate: Certificate) -> None:
    """Queue the current revision's PDF in every language it is available in (each rendered once)."""
    for item in certificate_languages(certificate):
        if item["available"]:
            pdf_request(certificate, item["language"])


def pdf_request(certificate: Certificate, language: str) -> CertificatePdf:
    """The PDF row of the current revision in `language`, queued for rendering when new (never rendered here)."""
    pdf, created = CertificatePdf.objects.for_organisation(certificate.organisation_id).get_or_create(
        organisation_id=certificate.organisation_id, certificate=certificate, language=language,
        revision=certificate.revision)
    if created:
        outbox_enqueue("certificates.tasks.render_certificate_pdf", pdf_id=pdf.pk,
                       organisation_id=certificate.organisation_id)
    return pdf


def _new_revision(certificate: Certificate) -> None:
    certificate.revision += 1
    certificate.save(update_fields=["revision", "holder_name", "scope", "suspended_until"])
    pdfs_queue(certificate)


def _locked(certificate: Certificate) -> tuple[Certificate, Certification]:
    certification = (Certification.objects.for_organisation(certificate.organisation_id).select_for_update()
                     .select_related("holder", "scheme_version", "organisation").get(pk=certificate.certification_id))
    fresh = Certificate.objects.for_organisation(certificate.organisation_id).select_for_update().get(pk=certificate.pk)
    fresh.certification = certification
    return fresh, certification


@transaction.atomic
def certificate_suspend(*, certificate: Certificate, by: User, reason: str, until: dt.date | None,
                        today: dt.date | None = None) -> Certificate:
    """Suspend a valid certificate until `until` (reason and end date required); the holder is told."""
    day = _today(today)
    errors: dict[str, str] = {}
    if not reason.strip():
        errors["reason"] = _("Say why the certificate is suspended: the holder is told.")
    if until is None:
        errors["until"] = _("Give the date the suspension ends.")
    elif until <= day:
        errors["until"] = _("The suspension must end after today.")
    if errors:
        raise ValidationError(errors)
    certificate, certification = _locked(certificate)
    if certification.status != Status.ACTIVE:
        raise ValidationError(_("Only an active certificate can be suspended; this one is %(status)s.")
                              % {"status": certification.get_status_display().lower()}, code="status")
    _status(certification, Status.SUSPENDED, by=by, note=reason)
    Certification.objects.for_organisation(certification.organisation_id).filter(pk=certification.pk).update(
        status=Status.SUSPENDED)
    certification.status = Status.SUSPENDED
    certificate.suspended_until = until
    certificate.save(update_fields=["suspended_until"])
    _event(certification, CertificateEvent.Kind.SUSPENDED, by=by, reason=reason, data={"until": _iso(until)})
    audit_record(organisation=certification.organisation, actor=by, action="certificate.suspend",
                 number=certification.number, until=_iso(until), reason=reason)
    _mail(certification, "suspended", reason=reason, until=until)
    return certificate


@transaction.atomic
def certificate_reinstate(*, certificate: Certificate, by: User | None, reason: str) -> Certificate:
    """End a suspension now (a decision maker) or on its end date (the daily task, `by` None)."""
    certificate, certification = _locked(certificate)
    if certification.status != Status.SUSPENDED:
        raise ValidationError(_("Only a suspended certificate can be reinstated."), code="status")
    if by is not None and not reason.strip():
        raise ValidationError({"reason": _("Say why the suspension ends early: the holder is told.")})
    _reinstate(certificate, certification, by=by, reason=reason)
    return certificate


def _reinstate(certificate: Certificate, certification: Certification, *, by: User | None, reason: str) -> None:
    _status(certification, Status.ACTIVE, by=by, note=reason)
    Certification.objects.for_organisation(certification.organisation_id).filter(pk=certification.pk).update(
        status=Status.ACTIVE)
    certification.status = Status.ACTIVE
    certificate.suspended_until = None
    certificate.save(update_fields=["suspended_until"])
    _event(certification, CertificateEvent.Kind.REINSTATED, by=by, reason=reason)
    audit_record(organisation=certification.organisation, actor=by, action="certificate.reinstate",
                 number=certification.number, reason=reason)
    _mail(certification, "reinstated", reason=reason)


@transaction.atomic
def certificate_withdraw(*, certificate: Certificate, by: User, reason: str) -> Certificate:
    """Withdraw an active or suspended certificate for good (reason required); the holder is told."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the certificate is withdrawn: the holder is told.")})
    certificate, certification = _locked(certificate)
    if certification.status not in (Status.ACTIVE, Status.SUSPENDED):
        raise ValidationError(_("This certificate is %(status)s: it cannot be withdrawn.")
                              % {"status": certification.get_status_display().lower()}, code="status")
    _status(certification, Status.WITHDRAWN, by=by, note=reason)
    Certification.objects.for_organisation(certification.organisation_id).filter(pk=certification.pk).update(
        status=Status.WITHDRAWN)
    certification.status = Status.WITHDRAWN
    certificate.suspended_until = None
    certificate.save(update_fields=["suspended_until"])
    _event(certification, CertificateEvent.Kind.WITHDRAWN, by=by, reason=reason)
    audit_record(organisation=certification.organisation, actor=by, action="certificate.withdraw",
                 number=certification.number, reason=reason)
    _mail(certification, "withdrawn", reason=reason)
    return certificate


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, by: User, reason: str) -> Certificate:
    """Re-issue the certificate in the holder's current name: same number and code, a new revision."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the certificate is re-issued.")})
    certificate, certification = _locked(certificate)
    name = certification.holder.get_full_name() or certification.holder.email
    if name == certificate.holder_name:
        raise ValidationError(_("The certificate already carries the name %(name)s. Change the name in the "
                                "holder's profile first.") % {"name": name}, code="same_name")
    old = certificate.holder_name
    certificate.holder_name = name
    _new_revision(certificate)
    _event(certification, CertificateEvent.Kind.REISSUED, by=by, reason=reason,
           data={"name": [old, name], "revision": certificate.revision})
    audit_record(organisation=certification.organisation, actor=by, action="certificate.reissue",
                 number=certification.number, name=name, previous=old, reason=reason)
    _mail(certification, "reissued", name=name)
    return certificate


@transaction.atomic
def register_entry_save(*, certificate: Certificate, by: User, register: str, city: str) -> Certificate:
    """The holder's register entry: listed, hidden, or as the scheme says; and the city shown."""
    if register not in Certificate.Register.values:
        raise ValidationError({"register": _("Choose one of the options.")})
    certificate.register = register
    certificate.city = city.strip()[:100]
    certificate.save(update_fields=["register", "city"])
    audit_record(organisation=certificate.certification.organisation, actor=by, action="certificate.register",
                 number=certificate.certification.number, register=register)
    return certificate


# --- cases and decisions -----------------------------------------------------------------------------------------

@dataclass
class Case:
    submission: Submission
    advice: hooks.Advice | None
    decisions: list[Decision] = field(default_factory=list)
    upheld_appeal: Appeal | None = None

    @property
    def latest(self) -> Decision | None:
        return self.decisions[0] if self.decisions else None

    @property
    def awaiting(self) -> bool:
        """An advice is in and nothing was decided since (or an upheld appeal set the last decision aside)."""
        if self.advice is None:
            return False
        latest = self.latest
        if latest is None:
            return True
        if self.upheld_appeal is not None and self.upheld_appeal.decision_id == latest.pk:
            return True
        return latest.decided_at < self.advice.advised_at


def _submissions(organisation: Organisation | int) -> QuerySet[Submission]:
    return (Submission.objects.for_organisation(organisation)
            .select_related("dossier__owner", "dossier__certification__scheme_version", "scheme_version"))


def case_for(organisation: Organisation, submission_id: int) -> Case | None:
    submission = _submissions(organisation).filter(pk=submission_id).first()
    if submission is None:
        return None
    return _cases(organisation, [submission])[0]


def _cases(organisation: Organisation, submissions: Sequence[Submission]) -> list[Case]:
    ids = [item.pk for item in submissions]
    decisions: dict[int, list[Decision]] = {}
    for decision in (Decision.objects.for_organisation(organisation).filter(submission_id__in=ids)
                     .select_related("decided_by").order_by("-decided_at", "-id")):
        decisions.setdefault(decision.submission_id, []).append(decision)
    upheld = {appeal.decision.submission_id: appeal for appeal in Appeal.objects.for_organisation(organisation)
              .filter(decision__submission_id__in=ids, status=Appeal.Status.UPHELD).select_related("decision")}
    advices = hooks.advice_for_many(submissions)
    return [Case(submission=item, advice=advices.get(item.pk), decisions=decisions.get(item.pk, []),
                 upheld_appeal=upheld.get(item.pk)) for item in submissions]


def cases_awaiting(organisation: Organisation) -> list[Case]:
    """The cases with an advice and no decision since, oldest submission first."""
    ids = [item.pk for item in hooks.cases_with_advice(organisation)]
    submissions = list(_submissions(organisation).filter(pk__in=ids).order_by("submitted_at", "pk"))
    return [case for case in _cases(organisation, submissions) if case.awaiting]


def involvement(submission: Submission, user: User, involved: set[int] | None = None) -> str | None:
    """Why `user` may not decide this case (None: they may); `involved`: the case's people when a list already
    asked for them (`hooks.involved_for_many`)."""
    if submission.dossier.owner_id == user.pk:
        return _("This is your own dossier: someone else must decide on it.")
    if user.pk in (hooks.involved_user_ids(submission) if involved is None else involved):
        return _("You assessed this case, so you may not decide on it: ISO 17024 asks that the decision is taken "
                 "by people who did not assess the candidate.")
    return None


def decision_problems(case: Case, user: User) -> str | None:
    if not case.awaiting:
        return _("This case is not awaiting a decision.")
    return involvement(case.submission, user)


def renewal_start_default(case: Case, today: dt.date | None = None) -> dt.date | None:
    """The default start of the new period of a renewal (CMI: the previous expiry when decided before it)."""
    certification = case.submission.dossier.certification
    definition = definition_for(certification, today)
    if case.submission.dossier.kind == "initial" or rules.yearly_returns(definition):
        return None
    return rules.renewal_start(definition, dates_of(certification), decided_on=_today(today))


def decision_record(*, organisation: Organisation, submission_id: int, by: User, outcome: str, reasons: str,
                    starts_on: dt.date | None = None, today: dt.date | None = None) -> Decision:
    """Record a decision on a case: refused for anyone involved in it (and the refused attempt audited); frozen
    once recorded; the holder is told."""
    submission = _submissions(organisation).filter(pk=submission_id).first()
    if submission is not None and (refusal := involvement(submission, by)) is not None:
        audit_record(organisation=organisation, actor=by, action="decision.refused_involved",
                     number=submission.dossier.certification.number, submission=submission.pk)
        raise ValidationError(refusal, code="involved")
    return _decision_record(organisation=organisation, submission_id=submission_id, by=by, outcome=outcome,
                            reasons=reasons, starts_on=starts_on, day=_today(today))


@transaction.atomic
def _decision_record(*, organisation: Organisation, submission_id: int, by: User, outcome: str, reasons: str,
                     starts_on: dt.date | None, day: dt.date) -> Decision:
    submission = _submissions(organisation).select_for_update(of=("self",)).filter(pk=submission_id).first()
    if submission is None:
        raise ValidationError(_("This case does not exist."), code="missing")
    # The whole product series is locked, in one order, before anything else: a decision and the daily task
    # extending the same series queue instead of deadlocking.
    certification = next(member for member in _series_locked(submission.dossier.certification)
                         if member.pk == submission.dossier.certification_id)
    case = _cases(organisation, [submission])[0]
    if not case.awaiting:
        raise ValidationError(_("This case is not awaiting a decision (it was decided meanwhile)."), code="decided")
    refusal = involvement(submission, by)
    if refusal is not None:  # checked again under the lock
        raise ValidationError(refusal, code="involved")
    if outcome not in Decision.Outcome.values:
        raise ValidationError({"outcome": _("Choose grant, refuse or send back.")})
    if not reasons.strip():
        raise ValidationError({"reasons": _("Give the reasons for the decision: the professional is told them.")})
    decision = Decision.objects.create(
        organisation=organisation, submission_id=submission.pk, certification=certification, outcome=outcome,
        reasons=reasons.strip(), advice=case.advice.as_json() if case.advice else {},
        starts_on=starts_on if outcome == Decision.Outcome.GRANT else None, decided_by=by, decided_at=timezone.now(),
        submitted_at=submission.submitted_at, dossier_kind=submission.dossier.kind)
    audit_record(organisation=organisation, actor=by, action="decision.record", number=certification.number,
                 outcome=outcome, submission=submission.pk, decision=decision.pk)
    issued = None
    if outcome == Decision.Outcome.GRANT:
        issued = _grant(decision, submission, certification, by=by, day=day)
    deadline = None
    if outcome == Decision.Outcome.REFUSE:
        deadline = rules.appeal_deadline(definition_for(certification, day), day)
    _mail(certification, "decision", decision=decision, outcome=decision.get_outcome_display(),
          reasons=decision.reasons, appeal_until=deadline, expires_on=certification.expires_on)
    if issued is not None:  # once per grant: the decision is frozen and a case is decided once
        _mail(certification, "issued", certificate=issued, renewed=submission.dossier.kind != "initial",
              verify=site_url("verify", code=issued.code), expires_on=certification.expires_on)
    hooks.decision_recorded.send(sender=Decision, decision=decision, submission=submission)
    return decision


def _grant(decision: Decision, submission: Submission, certification: Certification, *, by: User,
           day: dt.date) -> Certificate | None:
    """Issue or renew the certificate by the rule; returns it when issued or renewed (a yearly return extends
    the series instead, and series_extend tells the holder itself)."""
    definition = definition_for(certification, day)
    initial = submission.dossier.kind == "initial"
    certificate, created = certificate_ensure(certification, scope=scope_of(submission))
    before = dates_of(certification)
    extended = False
    if rules.yearly_returns(definition) and not initial:
        # A yearly CPD submission: granted, it extends the series when the engine says three compliant years are
        # in (series_extend writes the history and re-issues the series' certificates itself).
        extended = series_extend(certification=certification, today=day, by=by, decision=decision)
        certification.refresh_from_db()
    else:
        if initial:
            after = rules.first_dates(definition, decided_on=day, exam_passed_on=certification.exam_passed_on)
        else:
            after = rules.renewed_dates(definition, before, decided_on=day, start=decision.starts_on)
        changed = _apply_dates(certification, after)
        if certification.status != Status.ACTIVE:
            _status(certification, Status.ACTIVE, by=by, note=decision.reasons)
            certification.status = Status.ACTIVE
            changed.append("status")
        certification.save(update_fields=changed or None)
        kind = CertificateEvent.Kind.ISSUED if initial else CertificateEvent.Kind.RENEWED
        _event(certification, kind, by=by, reason=decision.reasons, decision=decision,
               data=_date_changes(before, dates_of(certification)))
        audit_record(organisation=certification.organisation, actor=by,
                     action="certificate.issue" if initial else "certificate.renew", number=certification.number,
                     expires_on=_iso(certification.expires_on))
    if not created:
        certificate.refresh_from_db()  # the series extension may have re-issued it meanwhile
    scope = scope_of(submission) or certificate.scope
    name = certification.holder.get_full_name() or certification.holder.email
    reprint = (scope != certificate.scope or name != certificate.holder_name
               or (not extended and dates_of(certification) != before))
    certificate.scope, certificate.holder_name = scope, name
    if created:
        certificate.save(update_fields=["scope", "holder_name"])
        pdfs_queue(certificate)
    elif reprint:
        _new_revision(certificate)
    if initial:
        from billing import services as billing

        billing.certification_fee_bill(organisation_id=certification.organisation_id,
                                       customer_id=certification.holder_id, version=submission.scheme_version,
                                       reason=f"submission:{submission.pk}", tax_point=day,
                                       submission_id=submission.pk)
    return None if rules.yearly_returns(definition) and not initial else certificate


# --- the PeopleCert product series ------------------------------------------------------------------------------

def series_members(certification: Certification) -> QuerySet[Certification]:
    """Every certification of the holder in the same scheme and product series (the one alone when it has none)."""
    members = Certification.objects.for_organisation(certification.organisation_id).filter(
        holder_id=certification.holder_id, scheme_version__code=certification.scheme_version.code)
    if certification.product_series:
        return members.filter(product_series=certification.product_series)
    return members.filter(pk=certification.pk)


def _series_locked(certification: Certification) -> list[Certification]:
    """The series' certifications locked FOR UPDATE in primary-key order (every writer takes them in this order)."""
    return list(series_members(certification).select_for_update().select_related("holder", "scheme_version",
                                                                                   "organisation").order_by("pk"))


def series_extend(*, certification: Certification, today: dt.date | None = None, by: User | None = None,
                  decision: Decision | None = None) -> bool:
    """Extend every certificate of the series when the engine says three compliant CPD years are due — once.

    The series is locked first (in one order), then the claims made so far are read: a second process arriving at
    the same moment waits for the first to commit and then finds its claim. The unique `SeriesExtension(holder,
    series, key)` is the last wall: an insert of a key already taken changes nothing.
    """
    day = _today(today)
    locked = _series_locked(certification)
    definition = definition_for(certification, day)
    anchor = series_members(certification).exclude(status=Status.WITHDRAWN).order_by("exam_passed_on", "pk").first()
    if anchor is None or anchor.exam_passed_on is None or definition.cycle.renewal is None:
        return False
    series = certification.product_series or certification.number
    granted = list(SeriesExtension.objects.for_organisation(certification.organisation_id).filter(
        holder_id=certification.holder_id, product_series=series).values_list("key", flat=True))
    activities = reports.owner_activities(certification.organisation, certification.holder_id)
    try:
        report = reports.evaluate_certification(anchor, definition, activities, day)
    except rules.ContextError:
        return False
    key = rules.series_extension_due(definition, report, granted)
    if key is None:
        return False
    try:
        with transaction.atomic():
            SeriesExtension.objects.create(organisation_id=certification.organisation_id,
                                           holder_id=certification.holder_id, product_series=series, key=key,
                                           decision=decision)
    except IntegrityError:
        return False  # claimed by the other process a moment ago
    members = [member for member in locked if member.status != Status.WITHDRAWN]
    for member in members:
        before = dates_of(member)
        after = rules.extended_dates(definition, before)
        changed = _apply_dates(member, after)
        if member.status == Status.LAPSED:
            _status(member, Status.ACTIVE, by=by, note="")
            member.status = Status.ACTIVE
            changed.append("status")
        member.save(update_fields=changed or None)
        _event(member, CertificateEvent.Kind.EXTENDED, by=by, decision=decision,
               reason=_("Three consecutive compliant CPD years (through %(day)s).") % {"day": reports.date(key)},
               data={**_date_changes(before, dates_of(member)), "key": key.isoformat()})
        certificate = Certificate.objects.for_organisation(member.organisation_id).filter(certification=member).first()
        if certificate is not None:
            _new_revision(certificate)
    first = members[0]
    audit_record(organisation=first.organisation, actor=by, action="certificate.extend", series=series,
                 email=first.holder.email, expires_on=_iso(first.expires_on), count=len(members))
    _mail(first, "extended", numbers=", ".join(member.number for member in members), expires_on=first.expires_on)
    return True


# --- the daily task ----------------------------------------------------------------------------------------------

@dataclass
class DailyResult:
    extended: int = 0
    lapsed: int = 0
    reinstated: int = 0


def daily_run(*, organisation: Organisation, today: dt.date | None = None) -> DailyResult:
    """Extend due product series, lapse certificates past expiry without a renewal, end suspensions whose end
    date passed. Each change is a conditional update on a locked row: run it twice (or next to a person acting)
    and each certificate changes once."""
    day = _today(today)
    result = DailyResult()
    for certification in _series_candidates(organisation, day):
        with transaction.atomic():
            result.extended += series_extend(certification=certification, today=day)
    due = (Certification.objects.for_organisation(organisation).filter(status=Status.ACTIVE, expires_on__lt=day)
           .values_list("pk", flat=True).order_by("pk"))
    for pk in list(due):
        with transaction.atomic():
            result.lapsed += _lapse(organisation, pk, day)
    ending = (Certificate.objects.for_organisation(organisation)
              .filter(certification__status=Status.SUSPENDED, suspended_until__lt=day)
              .values_list("pk", flat=True).order_by("pk"))
    for pk in list(ending):
        with transaction.atomic():
            certificate = Certificate.objects.for_organisation(organisation).get(pk=pk)
            certificate, certification = _locked(certificate)
            if certification.status == Status.SUSPENDED and certificate.suspended_until and \
                    certificate.suspended_until < day:
                ended = reports.date(certificate.suspended_until)
                _reinstate(certificate, certification, by=None,
                           reason=_("The suspension ended on %(day)s.") % {"day": ended})
                result.reinstated += 1
    return result


def _series_candidates(organisation: Organisation, day: dt.date) -> list[Certification]:
    """One active certification per (holder, series) of the schemes whose CPD years extend certificates."""
    codes = [code for code, version in SchemeVersion.objects.for_organisation(organisation).in_force(day).items()
        if version.rules.cycle.renewal is not None]
    seen: set[tuple[int, str]] = set()
    found = []
    for certification in (Certification.objects.for_organisation(organisation)
                          .filter(scheme_version__code__in=codes, status__in=[Status.ACTIVE, Status.LAPSED])
                          .select_related("scheme_version", "holder", "organisation").order_by("holder_id", "pk")):
        key = (certification.holder_id, certification.product_series or certification.number)
        if key not in seen:
            seen.add(key)
            found.append(certification)
    return found


def _lapse(organisation: Organisation, pk: int, day: dt.date) -> int:
    certification = (Certification.objects.for_organisation(organisation).select_for_update()
                     .select_related("holder", "scheme_version", "organisation").get(pk=pk))
    if certification.status != Status.ACTIVE or not rules.has_expired(certification.expires_on, day):
        return 0
    consequence = rules.lapse_consequence(definition_for(certification, day))
    note = (_("A missed cycle: the designation lapsed and membership is at risk.")
            if consequence == "membership_at_risk" else _("Expired without a renewal."))
    _status(certification, Status.LAPSED, by=None, note=note)
    updated = Certification.objects.for_organisation(organisation).filter(pk=pk, status=Status.ACTIVE).update(
        status=Status.LAPSED)
    if not updated:
        return 0
    certification.status = Status.LAPSED
    kind = CertificateEvent.Kind.AT_RISK if consequence == "membership_at_risk" else CertificateEvent.Kind.LAPSED
    _event(certification, kind, by=None, reason=note, data={"expires_on": _iso(certification.expires_on)})
    audit_record(organisation=organisation, actor=None, action="certificate.lapse", number=certification.number)
    _mail(certification, "lapsed", at_risk=consequence == "membership_at_risk", expires_on=certification.expires_on)
    return 1


# --- appeals -----------------------------------------------------------------------------------------------------

def appeal_deadline(decision: Decision) -> dt.date:
    return rules.appeal_deadline(definition_for(decision.certification, timezone.localdate()),
                                 timezone.localtime(decision.decided_at).date())


def appeal_problem(decision: Decision, user: User, today: dt.date | None = None) -> str | None:
    """Why `user` cannot appeal against `decision` (None: they can)."""
    if decision.outcome != Decision.Outcome.REFUSE:
        return _("Only a refusal can be appealed.")
    if decision.certification.holder_id != user.pk:
        return _("Only the candidate can appeal against this decision.")
    if Appeal.objects.for_organisation(decision.organisation_id).filter(decision=decision).exists():
        return _("An appeal against this decision has already been filed.")
    deadline = appeal_deadline(decision)
    if _today(today) > deadline:
        return _("The time to appeal ended on %(day)s.") % {"day": reports.date(deadline)}
    return None


def _checked_file(upload: Any) -> tuple[str, str, int]:
    if upload.size > evidence_files.max_file_bytes():
        raise ValidationError({"files": _("%(name)s is larger than %(size)s MB.") % {
            "name": upload.name, "size": evidence_files.megabytes(evidence_files.max_file_bytes())}})
    try:
        kind = evidence_files.detect_content_type(upload)
    except evidence_files.PackageRefused as error:
        raise ValidationError({"files": str(error)}) from error
    if kind is None:
        raise ValidationError({"files": _("%(name)s is not a PDF, PNG, JPEG, DOCX or ODT file.")
                               % {"name": evidence_files.clean_file_name(upload.name)}})
    digest, size = evidence_files.hash_and_size(upload)
    return kind, digest, size


@transaction.atomic
def appeal_file(*, decision: Decision, by: User, grounds: str, files: Sequence[Any],
                today: dt.date | None = None) -> Appeal:
    """File an appeal against a refusal (within the scheme's window): grounds and files. The refusal stays in
    force while the appeal is heard."""
    problem = appeal_problem(decision, by, today)
    if problem is not None:
        raise ValidationError(problem, code="not_allowed")
    if not grounds.strip():
        raise ValidationError({"grounds": _("Explain why you think the decision is wrong.")})
    checked = [(upload, *_checked_file(upload)) for upload in files]
    appeal = Appeal.objects.create(organisation_id=decision.organisation_id, decision=decision, appellant=by,
                                   grounds=grounds.strip(), filed_at=timezone.now())
    for upload, kind, digest, size in checked:
        stored = AppealFile(organisation_id=decision.organisation_id, appeal=appeal, content_type=kind, size=size,
                            sha256=digest, original_name=evidence_files.clean_file_name(upload.name))
        stored.file.save("appeal", upload, save=False)
        stored.save()
    certification = decision.certification
    audit_record(organisation=certification.organisation, actor=by, action="appeal.file",
                 number=certification.number, appeal=appeal.pk, files=len(checked))
    _mail(certification, "appeal_filed", appeal=appeal)
    return appeal


def appeal_involvement(appeal: Appeal, user: User) -> str | None:
    """Why `user` may not hear this appeal (None: they may): anyone who took part in the case may not."""
    decision = appeal.decision
    if decision.decided_by_id == user.pk:
        return _("You took the decision appealed against, so you may not hear the appeal.")
    submission = _submissions(appeal.organisation_id).filter(pk=decision.submission_id).first()
    if submission is not None and involvement(submission, user) is not None:
        return _("You took part in this case, so you may not hear the appeal.")
    return None


@transaction.atomic
def appeal_decide(*, appeal: Appeal, by: User, outcome: str, reasons: str) -> Appeal:
    """Uphold (the refusal is set aside and the case returns for a new decision) or dismiss an appeal."""
    appeal = (Appeal.objects.for_organisation(appeal.organisation_id).select_for_update(of=("self",))
              .select_related("decision__certification__holder", "decision__certification__scheme_version",
                              "decision__certification__organisation").get(pk=appeal.pk))
    if appeal.status != Appeal.Status.OPEN:
        raise ValidationError(_("This appeal has already been decided."), code="decided")
    refusal = appeal_involvement(appeal, by)
    if refusal is not None:
        raise ValidationError(refusal, code="involved")
    if outcome not in (Appeal.Status.UPHELD, Appeal.Status.DISMISSED):
        raise ValidationError({"outcome": _("Choose whether the appeal is upheld or dismissed.")})
    if not reasons.strip():
        raise ValidationError({"reasons": _("Give the reasons: the candidate is told them.")})
    appeal.status = outcome
    appeal.outcome_reasons = reasons.strip()
    appeal.handled_by = by
    appeal.handled_at = timezone.now()
    appeal.save(update_fields=["status", "outcome_reasons", "handled_by", "handled_at"])
    certification = appeal.decision.certification
    audit_record(organisation=certification.organisation, actor=by, action="appeal.decide",
                 number=certification.number, appeal=appeal.pk, outcome=outcome)
    _mail(certification, "appeal_decided", appeal=appeal, upheld=outcome == Appeal.Status.UPHELD,
          reasons=appeal.outcome_reasons)
    return appeal


# --- the accreditation record -------------------------------------------------------------------------------------

RECORD_COLUMNS = [
    ("year", gettext_lazy("Year")), ("certifications", gettext_lazy("Certifications")),
    ("recertifications", gettext_lazy("Recertifications")), ("refusals", gettext_lazy("Refusals")),
    ("sent_back", gettext_lazy("Sent back for more review")), ("suspensions", gettext_lazy("Suspensions")),
    ("withdrawals", gettext_lazy("Withdrawals")), ("appeals", gettext_lazy("Appeals")),
    ("appeals_upheld", gettext_lazy("Appeals upheld")), ("appeals_dismissed", gettext_lazy("Appeals dismissed")),
    ("median_days", gettext_lazy("Median days from submission to decision")),
]


def accreditation_record(organisation: Organisation) -> list[dict[str, Any]]:
    """Per year: decisions by outcome, suspensions, withdrawals, appeals and outcomes, and the median time from
    submission to decision (days) — three queries, whatever the number of years."""
    years: dict[int, dict[str, Any]] = {}

    def row(year: int) -> dict[str, Any]:
        return years.setdefault(year, {key: 0 for key, _label in RECORD_COLUMNS} | {"year": year, "_days": []})

    for outcome, kind, decided_at, submitted_at in Decision.objects.for_organisation(organisation).values_list(
            "outcome", "dossier_kind", "decided_at", "submitted_at"):
        entry = row(timezone.localtime(decided_at).year)
        if outcome == Decision.Outcome.GRANT:
            entry["certifications" if kind == "initial" else "recertifications"] += 1
        elif outcome == Decision.Outcome.REFUSE:
            entry["refusals"] += 1
        else:
            entry["sent_back"] += 1
        entry["_days"].append((decided_at - submitted_at).total_seconds() / 86400)
    # Series extensions count as recertifications when the daily task made them; one a decision made is counted
    # with that decision's grant.
    for kind, at in CertificateEvent.objects.for_organisation(organisation).filter(
            Q(kind__in=[CertificateEvent.Kind.SUSPENDED, CertificateEvent.Kind.WITHDRAWN])
            | Q(kind=CertificateEvent.Kind.EXTENDED, decision__isnull=True)).values_list("kind", "at"):
        entry = row(timezone.localtime(at).year)
        if kind == CertificateEvent.Kind.EXTENDED:
            entry["recertifications"] += 1
        else:
            entry["suspensions" if kind == CertificateEvent.Kind.SUSPENDED else "withdrawals"] += 1
    for status, filed_at in Appeal.objects.for_organisation(organisation).values_list("status", "filed_at"):
        entry = row(timezone.localtime(filed_at).year)
        entry["appeals"] += 1
        if status == Appeal.Status.UPHELD:
            entry["appeals_upheld"] += 1
        elif status == Appeal.Status.DISMISSED:
            entry["appeals_dismissed"] += 1
    result = []
    for year in sorted(years, reverse=True):
        entry = years[year]
        days = entry.pop("_days")
        entry["median_days"] = round(statistics.median(days), 1) if days else None
        result.append(entry)
    return result


def decision_makers(organisation: Organisation) -> QuerySet[Membership]:
    return Membership.objects.for_organisation(organisation).filter(is_decision_maker=True)


def register_entries(organisation: Organisation, *, query: str = "", number: str = "", scope: str = "",
                     city: str = "", today: dt.date | None = None) -> QuerySet[Certificate]:
    """The public register: holders of valid certificates who did not opt out (or opted in, where the scheme's
    register is not public by default). Changes the moment a certificate is suspended, withdrawn or lapses."""
    day = _today(today)
    public_versions = [version.pk for version in SchemeVersion.objects.for_organisation(organisation)
                       if rules.certificate_policy(version.rules).register_public]
    entries = (Certificate.objects.for_organisation(organisation)
               .filter(certification__status=Status.ACTIVE)
               .filter(Q(certification__expires_on__isnull=True) | Q(certification__expires_on__gte=day))
               .filter(Q(register=Certificate.Register.LISTED)
                       | Q(register=Certificate.Register.DEFAULT, certification__scheme_version__in=public_versions))
               .select_related("certification__scheme_version").order_by("holder_name", "pk"))
    if query:
        entries = entries.filter(holder_name__icontains=query.strip())
    if number:
        entries = entries.filter(certification__number__icontains=number.strip())
    if scope:
        # JSON containment on PostgreSQL; SQLite (the embedded default) has no such lookup, so match the stored text.
        entries = (entries.filter(scope__contains=[scope]) if connection.vendor == "postgresql"
                   else entries.filter(scope__icontains=f'"{scope}"'))
    if city:
        entries = entries.filter(city__icontains=city.strip())
    return entries
