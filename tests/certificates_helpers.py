"""Helpers for the certificates tests: a throwaway advice source (the review app's stand-in) and submissions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from django.utils import timezone

from accounts.tenancy import maintenance
from certificates import hooks
from dossiers.models import Dossier, Submission
from portfolios.models import Certification


class ThrowawayAdvice:
    """Advice kept in memory: `advise(submission, outcome, assessors=[users])`."""

    def __init__(self) -> None:
        self.advice: dict[int, hooks.Advice] = {}
        self.assessors: dict[int, list[int]] = {}

    def advise(self, submission: Submission, outcome: str = "grant", *, assessors: Sequence[Any] = (),
               at: dt.datetime | None = None) -> hooks.Advice:
        advice = hooks.Advice(
            outcome=outcome, advised_at=at or timezone.now(), summary="The dossier meets the norm." if outcome ==
            "grant" else "The reflection report does not refer to the profile.",
            sections=(hooks.SectionAdvice(section="A1", label="Working as a practising jobcoach", verdict="sufficient",
                                          reasons="CV and statement complete."),),
            assessors=tuple(user.get_full_name() for user in assessors))
        self.advice[submission.pk] = advice
        self.assessors[submission.pk] = [user.pk for user in assessors]
        return advice

    def cases_awaiting_decision(self, organisation: Any) -> list[Submission]:
        return list(Submission.objects.for_organisation(organisation).filter(pk__in=list(self.advice)))

    def advice_for(self, submission: Submission) -> hooks.Advice | None:
        return self.advice.get(submission.pk)

    def involved_user_ids(self, submission: Submission) -> list[int]:
        return self.assessors.get(submission.pk, [])


def registered_advice_source() -> Iterator[ThrowawayAdvice]:
    """Behind the `advice_source` fixture (tests/conftest.py): registered for one test, then removed."""
    source = ThrowawayAdvice()
    hooks.register_advice_source(source)
    yield source
    hooks.unregister_advice_source(source)


def submission(certification: Certification, kind: str = "recertification", *, scope: Sequence[str] = (),
               submitted_at: dt.datetime | None = None) -> Submission:
    """A submitted dossier's snapshot (only what the certifying body reads: kind, sections, activities)."""
    with maintenance():
        when = submitted_at or timezone.now() - dt.timedelta(days=10)
        reference = certification.recertification_date or certification.expires_on or dt.date.today()
        count = Dossier.objects.filter(organisation_id=certification.organisation_id).count()
        dossier = Dossier.objects.create(organisation_id=certification.organisation_id, owner=certification.holder,
                                         certification=certification, scheme_version=certification.scheme_version,
                                         kind=kind, reference_date=reference + dt.timedelta(days=count),
                                         status=Dossier.Status.SUBMITTED, submitted_at=when)
        options = [{"code": code, "label": code, "selected": code in scope}
                   for code in ("career-guidance", "career-coaching", "outplacement", "reintegration-second-track")]
        snapshot = {
            "dossier": {"id": dossier.pk, "kind": kind, "kind_label": kind},
            "scheme": {"label": certification.scheme_version.label},
            "sections": [{"code": "scope", "label": "Scope", "requirements": [
                {"kind": "choice", "code": "scope", "label": "Scope", "options": options}]}],
            "activities": [{"date": "2026-01-05", "title": "Peer meeting", "type_label": "Peer meeting",
                            "points": 2, "counted": 2}],
            "evidence": [],
        }
        return Submission.objects.create(organisation_id=certification.organisation_id, dossier=dossier,
                                         scheme_version=certification.scheme_version,
                                         submitted_by=certification.holder, submitted_at=when, snapshot=snapshot,
                                         snapshot_sha256="0" * 64)
