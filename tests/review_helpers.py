"""Build submitted dossiers for review tests: a real Dossier and Submission whose snapshot has the shape
`snapshot_build` gives (sections, statements, activities, evidence, report), without filling every section
through the pages. `submitted(...)` opens the review case as the submit hook does."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.utils import timezone

from accounts.tenancy import maintenance
from dossiers.models import Dossier, Evidence, Submission
from tests import factories

CMI = "cmi-register-loopbaanprofessional"
PEOPLECERT = "peoplecert-cpd"
NOLOC = "noloc-register-jobcoach"


def cmi_sections(supervisor: str = "Sam Supervisor") -> list[dict[str, Any]]:
    def questions(code: str, label: str, answer: str) -> dict[str, Any]:
        return {"kind": "questions", "code": code, "label": label, "description": "", "complete": True,
                "questions": [{"code": "text", "label": label, "answer": answer}], "references": []}

    return [
        {"code": "scope", "label": "Scope", "description": "", "requirements": [
            questions("scope", "Scope of practice", "Career guidance at Acme Careers")]},
        {"code": "competence", "label": "Competence", "description": "", "requirements": [
            questions("competence", "Competence report", "I coached 40 clients.")]},
        {"code": "supervisor-statement", "label": "Supervisor statement", "description": "", "requirements": [
            {"kind": "statement", "code": "supervisor-statement", "label": "Supervisor statement", "description": "",
             "complete": True, "signer": "Supervisor", "counts": [], "statements": [1]}]},
    ]


def statement(pk: int, signer_name: str, signer_email: str, supervisor: str) -> dict[str, Any]:
    return {"id": pk, "section": "supervisor-statement", "requirement": "supervisor-statement",
            "signer_name": signer_name, "signer_email": signer_email, "signer_role": "Supervisor",
            "state": "signed", "signed_name": signer_name, "signed_at": "2026-01-10T10:00:00+00:00",
            "fields": [{"code": "supervisor-name", "label": "Name of the supervisor", "type": "text",
                        "value": supervisor},
                       {"code": "development", "label": "Development", "type": "text", "value": "Grew a lot"}]}


def submitted(org, owner, code: str = CMI, *, activities: list[dict[str, Any]] | None = None,
              sections: list[dict[str, Any]] | None = None, statements: list[dict[str, Any]] | None = None,
              evidence: list[Evidence] | None = None, compliant: bool = True, kind: str = "recertification",
              reference_date: dt.date = dt.date(2027, 6, 1), when: dt.datetime | None = None,
              open_case: bool = True, certification=None, digest: str | None = None):
    """A submitted dossier of `owner` under `code`; its review case is opened unless `open_case` is False."""
    from review.services import case_open

    certification = certification or factories.certification(org, owner, code)
    when = when or timezone.now()
    if code == PEOPLECERT:
        reference_date = dt.date(when.year, 4, 30)
    if sections is None:
        sections = cmi_sections() if code == CMI else []
    if statements is None:
        statements = [statement(1, "Sam Supervisor", "sam@example.com", "Sam Supervisor")] if code == CMI else []
    files = [{"id": item.pk, "name": item.original_name, "content_type": item.content_type, "size": item.size,
              "sha256": item.sha256, "uploaded_at": None, "section": None, "requirement": None,
              "activity": item.activity_id} for item in evidence or []]
    with maintenance():
        count = Dossier.objects.filter(organisation=org).count()
        dossier = Dossier.objects.create(
            organisation=org, owner=owner, certification=certification, scheme_version=certification.scheme_version,
            kind=kind, reference_date=reference_date, product_series=str(count) if code == PEOPLECERT else "",
            status=Dossier.Status.SUBMITTED, submitted_at=when)
        snapshot = {
            "format": 1, "language": owner.preferred_language or "en",
            "organisation": {"slug": org.slug, "name": org.name},
            "dossier": {"id": dossier.pk, "kind": kind, "kind_label": kind,
                        "reference_date": reference_date.isoformat(), "product_series": "",
                        "created_at": when.isoformat(), "submitted_at": when.isoformat()},
            "owner": {"id": owner.pk, "name": owner.get_full_name(), "email": owner.email},
            "submitted_by": {"id": owner.pk, "name": owner.get_full_name(), "email": owner.email},
            "certification": {"number": certification.number, "status": "active",
                              "exam_passed_on": _iso(certification.exam_passed_on),
                              "issued_on": None, "recertification_date": _iso(certification.recertification_date),
                              "cycle_start": _iso(certification.cycle_start), "expires_on": None,
                              "product_series": certification.product_series,
                              "designation": certification.designation, "membership_valid_until": None},
            "scheme": {"code": code, "version": 1, "label": code, "effective_from": "2020-01-01", "definition": {}},
            "sections": sections, "statements": statements, "activities": activities or [], "evidence": files,
            "report": {"compliant": compliant}, "report_localised": {"language": "en", "points": None},
        }
        digest = digest or hashlib.sha256(repr((dossier.pk, when.isoformat(), owner.pk)).encode()).hexdigest()
        submission = Submission.objects.create(organisation=org, dossier=dossier,
                                               scheme_version=certification.scheme_version, submitted_by=owner,
                                               submitted_at=when, snapshot=snapshot, snapshot_sha256=digest)
        if open_case:
            case_open(submission)
    return submission


def _iso(value):
    return value.isoformat() if value else None


def activity(pk: int, type_code: str, day: dt.date, quantity: str, points: str | None = None,
             evidence: list[int] | None = None) -> dict[str, Any]:
    return {"id": pk, "type": type_code, "type_label": type_code, "date": day.isoformat(), "quantity": quantity,
            "title": f"Activity {pk}", "provider": "", "description": "", "reflection": "", "attributes": {},
            "points": points or quantity, "counted": points or quantity, "period": 0, "evidence": evidence or []}


def case_of(submission):
    from review.models import ReviewCase

    with maintenance():
        return ReviewCase.objects.select_related("submission", "scheme_version", "candidate", "organisation").get(
            submission=submission)


def allocations(case):
    from review.models import Allocation

    with maintenance():
        return list(Allocation.objects.filter(case=case).select_related("assessor").order_by("position"))


def assessors(org, *names: str):
    """Assessors of `org` named e.g. "Xena Assessor" (e-mail from the first name)."""
    people = []
    for name in names:
        first, last = name.split(" ", 1)
        people.append(factories.member(org, f"{first.lower()}@{org.slug}.example.com", "assessor",
                                       first_name=first, last_name=last))
    return people
