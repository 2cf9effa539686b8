"""Administration: review, reminders, validity, fees, product series and notes for administrators."""

from __future__ import annotations

import re
from decimal import Decimal

from ..fields import Bool, Dec, Enum, Int, ListOf, LocalText, MonthDay, Nullable, Obj, Str, Text, frame, key, spec
from .common import DOSSIER_KINDS, Option


@frame
class CertifyingBody:
    name: str = spec(Str())
    accreditation: str | None = spec(Nullable(Str()), default=None)


@frame
class Review:
    """How a submitted dossier is reviewed: N independent assessors, oral interview, advice → decision."""

    assessors: int = spec(Int(1))
    assessors_advise: bool = spec(Bool())
    oral_interview_for: tuple[str, ...] = spec(ListOf(Enum(*DOSSIER_KINDS)), default=())
    mentor: bool = spec(Bool(), default=False)
    certifying_body: CertifyingBody | None = spec(Nullable(Obj(CertifyingBody)), default=None)


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

    def problems(self) -> list[tuple[str, str]]:
        return [] if self.offsets else [("offsets", "A reminder needs at least one offset.")]


@frame
class Validity:
    """How long a certificate is valid and how early recertification must be applied for."""

    years: int = spec(Int(1))
    apply_before_months: int | None = spec(Nullable(Int(0)), default=None)
    apply_preferably_before_months: int | None = spec(Nullable(Int(0)), default=None)

    def problems(self) -> list[tuple[str, str]]:
        if (
            self.apply_before_months is not None
            and self.apply_preferably_before_months is not None
            and self.apply_preferably_before_months < self.apply_before_months
        ):
            return [
                (
                    "apply_preferably_before_months",
                    "The preferred lead time is shorter than the required one.",
                )
            ]
        return []


@frame
class Fee:
    """A price; ``amount`` includes VAT only when ``vat_included``; ``reference_date`` is a yearly MM-DD."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    amount: Decimal = spec(Dec())
    currency: str = spec(Str(re.compile(r"[A-Z]{3}\Z"), "currency code such as EUR"))
    vat_rate: Decimal = spec(Dec())
    vat_included: bool = spec(Bool())
    per: str = spec(Enum("once", "year"))
    reference_date: str | None = spec(Nullable(MonthDay()), default=None)


@frame
class ProductSeries:
    """PeopleCert: points are submitted once per product series, renewing every certificate in it."""

    per_series: bool = spec(Bool())
    series: tuple[Option, ...] = spec(ListOf(Obj(Option)), default=())


@frame
class Note:
    """An administrator-facing note on a part of the definition: a source conflict or a chosen default."""

    path: str = spec(Str())
    kind: str = spec(Enum("conflict", "default"))
    text: LocalText = spec(Text())


