"""CMI Register Loopbaanprofessional: no point rules; dossier sections depend on the dossier and date."""

from __future__ import annotations

import pytest

from schemes.rules import evaluate

from .support import context, day, texts


def report(cmi, expiry="2026-09-01", as_of="2026-03-01", **flags):
    return evaluate(cmi, context(as_of, recertification_date=expiry, **flags), [])


def test_no_point_rules_means_compliant_on_points(cmi):
    result = report(cmi)
    assert (result.compliant, result.total_counted, result.required_total) == (True, 0, None)
    assert result.categories == ()


def test_three_year_certification_period(cmi):
    result = report(cmi)
    assert (result.cycle.start, result.cycle.end) == (day("2023-09-01"), day("2026-08-31"))


def test_recertification_sections_at_the_same_level(cmi):
    sections = {section.code: section.required for section in report(cmi).sections}
    assert sections == {
        "scope": True,
        "level": True,
        "level-change": True,
        "competence": False,
        "supervisor-statement": True,
    }


def test_competence_questions_again_at_a_changed_level(cmi):
    assert report(cmi, level_changed=True).section("competence").required


def test_initial_certification_sections(cmi):
    sections = {section.code: section.required for section in report(cmi, dossier_kind="initial").sections}
    assert sections == {"scope": True, "level": True, "eligibility": True, "competence": True}


@pytest.mark.parametrize(("expiry", "required"), [("2020-06-30", False), ("2020-07-01", True)])
def test_supervisor_statement_from_1_july_2020(cmi, expiry, required):
    section = report(cmi, expiry=expiry, as_of="2020-03-01").section("supervisor-statement")
    assert section.required is required
    if not required:
        assert texts([section.reason], cmi) == ["Required for recertification dates from 1 July 2020."]


@pytest.mark.parametrize(
    ("as_of", "send_on"),
    [
        ("2026-04-30", None),
        ("2026-05-01", "2026-05-01"),
        ("2026-06-01", "2026-06-01"),
        ("2026-09-01", "2026-06-01"),
    ],
)
def test_apply_for_recertification_4_and_3_months_before_expiry(cmi, as_of, send_on):
    reminders = [
        item for item in report(cmi, as_of=as_of).reminders if item.code == "apply-for-recertification"
    ]
    assert [item.send_on for item in reminders] == ([day(send_on)] if send_on else [])


def test_no_application_reminder_once_submitted(cmi):
    assert report(cmi, as_of="2026-06-01", dossier_submitted=True).reminders == ()


@pytest.mark.parametrize(
    ("as_of", "due"), [("2026-09-01", False), ("2026-09-02", True), ("2027-01-01", True)]
)
def test_expired_notice_after_expiry(cmi, as_of, due):
    codes = [item.code for item in report(cmi, as_of=as_of, dossier_submitted=True).reminders]
    assert ("certificate-expired" in codes) is due
