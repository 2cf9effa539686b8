"""Administration: review, reminders, validity, fees, product series and notes for administrators."""

from __future__ import annotations

import re
from decimal import Decimal

from ..fields import Bool, Dec, Enum, Int, ListOf, LocalText, MonthDay, Nullable, Obj, Str, Text, frame, key, spec
from ..messages import Message, gettext_noop, problem
from .common import DOSSIER_KINDS, Option


@frame
class CertifyingBody:
    name: str = spec(Str())
    accreditation: str | None = spec(Nullable(Str()), default=None)


@frame
class ManyPoints:
    """"Unusually many points in a short time": at least ``points`` from activities dated in the ``days``
    before the submission."""

    points: Decimal = spec(Dec(positive=True))
    days: int = spec(Int(1))


@frame
class ReviewSample:
    """A risk-based sample: ``percent`` of submissions (a deterministic, seeded draw) go to an assessor, and
    every submission a rule selects; the rest are accepted on the rules alone (and recorded as such)."""

    percent: int = spec(Int(0))
    first_submission: bool = spec(Bool(), default=True)
    previous_negative: bool = spec(Bool(), default=True)
    many_points: ManyPoints | None = spec(Nullable(Obj(ManyPoints)), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        return [("percent", problem(gettext_noop("A percentage is at most 100.")))] if self.percent > 100 else []


DISAGREEMENT_RULES = ("third_assessor", "lead_assessor")


@frame
class Review:
    """How a submitted dossier is reviewed: N independent assessors, oral interview, advice → decision.

    ``sample`` (absent: every submission is assessed) selects which submissions go to an assessor.
    ``due_working_days``: the default time an assessor has, in working days (Monday to Friday).
    ``reminder_days_before`` / ``reminder_days_after``: reminders to an assessor before and after the due
    date. ``disagreement``: who decides when independent assessors still disagree after discussing it —
    a third assessor, or the lead (first allocated) assessor.
    """

    assessors: int = spec(Int(1))
    assessors_advise: bool = spec(Bool())
    oral_interview_for: tuple[str, ...] = spec(ListOf(Enum(*DOSSIER_KINDS)), default=())
    mentor: bool = spec(Bool(), default=False)
    certifying_body: CertifyingBody | None = spec(Nullable(Obj(CertifyingBody)), default=None)
    sample: ReviewSample | None = spec(Nullable(Obj(ReviewSample)), default=None, written_when_set=True)
    due_working_days: int = spec(Int(1), default=15, written_when_set=True)
    reminder_days_before: int = spec(Int(0), default=3, written_when_set=True)
    reminder_days_after: int = spec(Int(0), default=2, written_when_set=True)
    disagreement: str = spec(Enum(*DISAGREEMENT_RULES), default="third_assessor", written_when_set=True)


@frame
class Offset:
    amount: int = spec(Int(0))
    unit: str = spec(Enum("days", "months"))
    direction: str = spec(Enum("before", "after"))


@frame
class Reminder:
    """Remind at each offset from the anchor date while the condition holds.

    ``mandatory`` reminders (a certificate that expired) are sent even to people who unsubscribed from
    that kind of reminder, and carry no unsubscribe link.
    """

    code: str = spec(key())
    label: LocalText = spec(Text())
    anchor: str = spec(Enum("period_end", "cycle_end", "recertification_date"))
    condition: str = spec(Enum("not_compliant", "dossier_not_submitted", "always"))
    offsets: tuple[Offset, ...] = spec(ListOf(Obj(Offset)))
    mandatory: bool = spec(Bool(), default=False, written_when_set=True)

    def problems(self) -> list[tuple[str, Message]]:
        return [] if self.offsets else [("offsets", problem(gettext_noop("A reminder needs at least one offset.")))]


@frame
class Validity:
    """How long a certificate is valid and how early recertification must be applied for."""

    years: int = spec(Int(1))
    apply_before_months: int | None = spec(Nullable(Int(0)), default=None)
    apply_preferably_before_months: int | None = spec(Nullable(Int(0)), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        if (
            self.apply_before_months is not None
            and self.apply_preferably_before_months is not None
            and self.apply_preferably_before_months < self.apply_before_months
        ):
            return [
                (
                    "apply_preferably_before_months",
                    problem(gettext_noop("The preferred lead time is shorter than the required one.")),
                )
            ]
        return []


VAT_CATEGORIES = ("standard", "reduced", "zero", "exempt")
BILLING_TRIGGERS = ("submission", "certification", "annual", "order")


@frame
class FeeBilling:
    """What bills a fee, and when (read by the billing app; the engine only checks the settings fit).

    ``on``: ``submission`` — when a recertification dossier is submitted; ``certification`` — when an initial
    certification is applied for (an initial dossier submitted; later also a grant); ``annual`` — every holder
    of an active certificate on the fee's yearly ``reference_date``; ``order`` — when the professional orders
    it. ``review_after_payment`` (submission fees only): the review of the dossier waits until it is paid.
    """

    on: str = spec(Enum(*BILLING_TRIGGERS))
    review_after_payment: bool = spec(Bool(), default=False)

    def problems(self) -> list[tuple[str, Message]]:
        if self.review_after_payment and self.on != "submission":
            return [("review_after_payment", problem(
                gettext_noop("Only a fee billed on submission can hold the review until it is paid.")
            ))]
        return []


@frame
class Fee:
    """A price; ``amount`` includes VAT only when ``vat_included``; ``reference_date`` is a yearly MM-DD.

    ``vat_category`` says which rate of the dated VAT table applies (the rate in force on the invoice's tax
    point); ``vat_rate`` is the rate the source gave, kept for definitions written before categories (the
    billing app then takes the category whose rate it is) and for the record. ``billing`` (absent: never
    billed automatically) says what bills the fee.
    """

    code: str = spec(key())
    label: LocalText = spec(Text())
    amount: Decimal = spec(Dec())
    currency: str = spec(Str(re.compile(r"[A-Z]{3}\Z"), gettext_noop("currency code such as EUR")))
    vat_rate: Decimal = spec(Dec())
    vat_included: bool = spec(Bool())
    per: str = spec(Enum("once", "year"))
    reference_date: str | None = spec(Nullable(MonthDay()), default=None)
    vat_category: str | None = spec(Nullable(Enum(*VAT_CATEGORIES)), default=None, written_when_set=True)
    billing: FeeBilling | None = spec(Nullable(Obj(FeeBilling)), default=None, written_when_set=True)

    def problems(self) -> list[tuple[str, Message]]:
        problems: list[tuple[str, Message]] = []
        if self.billing is not None and self.billing.on == "annual":
            if self.per != "year":
                problems.append(("billing.on", problem(gettext_noop('A fee billed every year must be "per": "year".'))))
            if self.reference_date is None:
                problems.append(("reference_date", problem(
                    gettext_noop("A fee billed every year needs its reference date (MM-DD).")
                )))
        if self.vat_category in ("zero", "exempt") and self.vat_rate != 0:
            problems.append(("vat_rate", problem(
                gettext_noop("A %(vat_category)s fee has no VAT: its rate must be 0."), vat_category=self.vat_category
            )))
        return problems


@frame
class ProductSeries:
    """PeopleCert: points are submitted once per product series, renewing every certificate in it."""

    per_series: bool = spec(Bool())
    series: tuple[Option, ...] = spec(ListOf(Obj(Option)), default=())


CERTIFICATE_LANGUAGES = ("en", "nl", "nb")


@frame
class PaidLanguage:
    """A certificate language that is a paid extra: the holder orders ``fee`` (a fee billed on order) first."""

    language: str = spec(Enum(*CERTIFICATE_LANGUAGES))
    fee: str = spec(key())


@frame
class CertificatePolicy:
    """The certificate as a document and a public fact (read by the certificates app).

    ``languages``: the languages the certificate is issued in at no charge; ``paid_languages``: further
    languages available once their fee is ordered and paid (CMI's English-language certificate);
    ``appeal_days``: how long after a refusal the candidate may appeal; ``register_public``: the public
    register lists holders unless they opt out (otherwise only those who opt in).
    """

    languages: tuple[str, ...] = spec(ListOf(Enum(*CERTIFICATE_LANGUAGES)), default=("en",))
    paid_languages: tuple[PaidLanguage, ...] = spec(ListOf(Obj(PaidLanguage)), default=())
    appeal_days: int = spec(Int(1), default=30)
    register_public: bool = spec(Bool(), default=False)

    def problems(self) -> list[tuple[str, Message]]:
        problems: list[tuple[str, Message]] = []
        if not self.languages:
            problems.append(("languages", problem(
                gettext_noop("A certificate needs at least one language it is issued in.")
            )))
        for index, paid in enumerate(self.paid_languages):
            if paid.language in self.languages:
                problems.append((f"paid_languages[{index}].language",
                                 problem(
                                     gettext_noop("The certificate is already issued in %(language)s at no charge."),
                                     language=paid.language
                                 )))
        return problems


@frame
class Note:
    """An administrator-facing note on a part of the definition: a source conflict or a chosen default."""

    path: str = spec(Str())
    kind: str = spec(Enum("conflict", "default"))
    text: LocalText = spec(Text())


