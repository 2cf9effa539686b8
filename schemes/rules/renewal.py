"""Certificates issued and renewed by rule, from the scheme data (pure: standard library only).

The certificates app asks these functions what a decision does to a certificate's dates; it never works out a
date itself. Per cycle model:

- **window** (CMI, Noloc): a certificate is valid ``validity.years`` (else the cycle's years) from its start. A
  first certificate starts on the decision date; a renewal starts on the previous expiry (recertification date)
  when decided on or before it, else on the decision date — the default, which a decision maker may change. The
  new recertification date is the new expiry, so the next window (the years before it) starts where this one
  ended.
- **anniversary** (PeopleCert): CPD years stay anchored on the exam; N consecutive compliant CPD years extend the
  expiry by M years (``cycle.renewal``), once per run of N fresh years, for every certificate of the product
  series at once. A first expiry is the exam date plus M years.
- **fixed_cycle** (the CCMG): the designation is kept for the next cycle, which starts the day after the current
  one ends; a missed cycle puts the membership at risk (``lapse_consequence``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .dates import add_years
from .definition import CertificatePolicy, SchemeDefinition
from .engine import Report
from .fields import frame

DEFAULT_POLICY = CertificatePolicy()


@frame
class CertificateDates:
    """The dates of a certificate that decisions move (``None``: the scheme does not use that date)."""

    issued_on: dt.date | None = None
    expires_on: dt.date | None = None
    recertification_date: dt.date | None = None
    cycle_start: dt.date | None = None
    exam_passed_on: dt.date | None = None


def certificate_policy(definition: SchemeDefinition) -> CertificatePolicy:
    """The definition's certificate settings, or the defaults (English, 30 days to appeal, opt-in register)."""
    return definition.certificate or DEFAULT_POLICY


def validity_years(definition: SchemeDefinition) -> int | None:
    """How many years a certificate (window) or cycle (fixed cycle) runs; the extension for anniversary schemes."""
    if definition.validity is not None:
        return definition.validity.years
    if definition.cycle.renewal is not None:
        return definition.cycle.renewal.extends_by_years
    return definition.cycle.years


def _cycle_end(start: dt.date, years: int) -> dt.date:
    return add_years(start, years) - dt.timedelta(days=1)


def first_dates(definition: SchemeDefinition, *, decided_on: dt.date,
                exam_passed_on: dt.date | None = None) -> CertificateDates:
    """The dates of a first certificate granted on ``decided_on``."""
    years = validity_years(definition)
    model = definition.cycle.model
    if model == "window":
        expires = add_years(decided_on, years) if years else None
        return CertificateDates(issued_on=decided_on, expires_on=expires, recertification_date=expires)
    if model == "anniversary":
        exam = exam_passed_on or decided_on
        return CertificateDates(issued_on=decided_on, exam_passed_on=exam,
                                expires_on=add_years(exam, years) if years else None)
    return CertificateDates(issued_on=decided_on, cycle_start=decided_on,
                            expires_on=_cycle_end(decided_on, years) if years else None)


def renewal_start(definition: SchemeDefinition, current: CertificateDates, *, decided_on: dt.date) -> dt.date:
    """Where a renewal decided on ``decided_on`` starts by default: the previous expiry when decided on or before
    it (window), the day after the current cycle (fixed cycle), else the decision date."""
    model = definition.cycle.model
    if model == "window":
        previous = current.recertification_date or current.expires_on
        return previous if previous is not None and decided_on <= previous else decided_on
    if model == "fixed_cycle" and current.cycle_start is not None:
        years = validity_years(definition) or 1
        return add_years(current.cycle_start, years)
    return decided_on


def renewed_dates(definition: SchemeDefinition, current: CertificateDates, *, decided_on: dt.date,
                  start: dt.date | None = None) -> CertificateDates:
    """The dates after a renewal granted on ``decided_on`` (``start``: a decision maker's edited start date)."""
    years = validity_years(definition)
    model = definition.cycle.model
    begin = start or renewal_start(definition, current, decided_on=decided_on)
    if model == "window":
        expires = add_years(begin, years) if years else None
        return CertificateDates(issued_on=current.issued_on or decided_on, expires_on=expires,
                                recertification_date=expires, exam_passed_on=current.exam_passed_on)
    if model == "anniversary":
        return extended_dates(definition, current)
    return CertificateDates(issued_on=current.issued_on or decided_on, cycle_start=begin,
                            expires_on=_cycle_end(begin, years) if years else None,
                            exam_passed_on=current.exam_passed_on)


def current_expiry(definition: SchemeDefinition, current: CertificateDates) -> dt.date | None:
    """The expiry in force: the stored one, or for an anniversary scheme without one the exam plus M years."""
    if current.expires_on is not None:
        return current.expires_on
    years = validity_years(definition)
    if definition.cycle.model == "anniversary" and current.exam_passed_on is not None and years:
        return add_years(current.exam_passed_on, years)
    return None


def extended_dates(definition: SchemeDefinition, current: CertificateDates) -> CertificateDates:
    """An anniversary scheme's extension: the expiry moves by ``cycle.renewal.extends_by_years``."""
    rule = definition.cycle.renewal
    expiry = current_expiry(definition, current)
    if rule is None or expiry is None:
        return current
    return CertificateDates(issued_on=current.issued_on, exam_passed_on=current.exam_passed_on,
                            cycle_start=current.cycle_start, recertification_date=current.recertification_date,
                            expires_on=add_years(expiry, rule.extends_by_years))


def series_extension_due(definition: SchemeDefinition, report: Report,
                         granted: Iterable[dt.date] = ()) -> dt.date | None:
    """The key of the extension the engine's report earns now, or None.

    The key is the last day of the last CPD year of the compliant run. A run of N years earns one extension; each
    CPD year counts toward one extension only, so an extension is due when the run is long enough and no earlier
    extension (``granted``: their keys) used a year of its last N. Same report and same keys, same answer: the
    caller stores the key under a unique constraint, which makes the extension happen once.
    """
    rule = definition.cycle.renewal
    if rule is None or report.renewal is None or not report.renewal.eligible:
        return None
    ended = [period for period in report.periods if period.end <= report.as_of]
    if len(ended) < rule.consecutive_periods:
        return None
    run = ended[-rule.consecutive_periods:]
    first_start = run[0].start
    key = run[-1].end
    if any(first_start <= earlier <= key for earlier in granted):
        return None
    return key


def lapse_consequence(definition: SchemeDefinition) -> str:
    """What passing the expiry without a renewal means: ``membership_at_risk`` for a fixed cycle (the CCMG: a
    missed cycle puts membership at risk), else ``lapsed``. Either way the certificate stops being valid."""
    return "membership_at_risk" if definition.cycle.model == "fixed_cycle" else "lapsed"


def has_expired(expires_on: dt.date | None, today: dt.date) -> bool:
    """A certificate is valid through its expiry date and expired from the day after."""
    return expires_on is not None and today > expires_on


def appeal_deadline(definition: SchemeDefinition, decided_on: dt.date) -> dt.date:
    """The last day a refusal decided on ``decided_on`` may be appealed."""
    return decided_on + dt.timedelta(days=certificate_policy(definition).appeal_days)


def certificate_languages(definition: SchemeDefinition) -> tuple[tuple[str, str | None], ...]:
    """Every language the certificate exists in, with the fee to order first (None: included)."""
    policy = certificate_policy(definition)
    return (*((language, None) for language in policy.languages),
            *((paid.language, paid.fee) for paid in policy.paid_languages))


def yearly_returns(definition: SchemeDefinition) -> bool:
    """Whether the scheme's submissions are yearly CPD returns (the anniversary model: PeopleCert), whose grant
    extends the product series when enough consecutive years are in, rather than renewals of a window."""
    return definition.cycle.model == "anniversary"


def due_on_reference_date(definition: SchemeDefinition) -> bool:
    """Whether the date people are told is the dossier's reference date (the recertification date of a window
    scheme: Noloc, CMI) rather than the report's deadline, which is then the day before it; for the other models
    the deadline itself is the due date (the CPD year's anniversary, the cycle year's end)."""
    return definition.cycle.model == "window"
