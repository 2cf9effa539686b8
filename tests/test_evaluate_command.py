"""`manage.py evaluate_portfolio`, end to end (the contract in issue 3)."""

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from schemes.services import scheme_adopt

ROOT = Path(__file__).resolve().parent.parent

PEOPLECERT = {
    "scheme": "peoplecert-cpd", "exam_passed_on": "2023-04-30", "as_of": "2026-05-15",
    "activities": [
        *[{"type": "mentoring", "date": f"{year}-01-10", "quantity": 5} for year in (2024, 2025, 2026)],
        *[{"type": "podcasts-webinars", "date": f"{year}-02-10", "quantity": 15} for year in (2024, 2025, 2026)],
        {"type": "attending-events", "date": "2025-03-01", "quantity": 15},
        {"type": "organising-events", "date": "2025-03-02", "quantity": 4},
    ],
}


def run(payload, *args):
    out = io.StringIO()
    source = io.StringIO(json.dumps(payload))
    old = sys.stdin
    sys.stdin = source
    try:
        call_command("evaluate_portfolio", "--input", "-", *args, stdout=out)
    finally:
        sys.stdin = old
    return json.loads(out.getvalue())


def test_peoplecert_report_has_the_contract_fields():
    report = run(PEOPLECERT)
    for key in ("compliant", "total_counted", "required_total", "categories", "sections", "periods",
                "consecutive_compliant_periods", "explanations"):
        assert key in report
    assert [p["end"] for p in report["periods"]][:3] == ["2024-04-30", "2025-04-30", "2026-04-30"]
    assert report["consecutive_compliant_periods"] == 3
    assert report["required_total"] == 20
    community = report["periods"][1]
    assert community["total_counted"] == 35  # 5 + 15 + min(19, 15)
    assert any("4 of 19" in text for text in report["explanations"])


def test_noloc_sections_for_the_date():
    report = run({"scheme": "noloc-register-jobcoach", "recertification_date": "2025-09-01",
                  "as_of": "2025-01-01", "activities": []})
    assert report["sections"]["A2"]["required"] is False
    assert report["sections"]["A3.1"]["meetings_required"] == 2
    assert report["sections"]["A3.1"]["situations_required"] == 1


def test_file_input_and_exit_code_through_the_real_command(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(PEOPLECERT))
    result = subprocess.run([sys.executable, "manage.py", "evaluate_portfolio", "--input", str(good)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["consecutive_compliant_periods"] == 3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**PEOPLECERT, "activities": [{"type": "mentoring", "date": "2024-01-01",
                                                              "quantity": 16}]}))
    result = subprocess.run([sys.executable, "manage.py", "evaluate_portfolio", "--input", str(bad)], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "activity 0 (mentoring)" in result.stderr
    assert "15" in result.stderr


@pytest.mark.parametrize(("activity", "words"), [
    ({"type": "article", "date": "2025-01-01", "quantity": 1, "words": 1499}, "1500"),
    ({"type": "unknown-thing", "date": "2025-01-01", "quantity": 1}, "unknown-thing"),
])
def test_rule_breaking_activities_are_named(activity, words):
    with pytest.raises(CommandError, match=words):
        run({"scheme": "noloc-register-jobcoach", "recertification_date": "2027-01-01", "activities": [activity]})


def test_implausible_quantities_and_dates_are_refused_naming_the_bound():
    payload = {"scheme": "peoplecert-cpd", "exam_passed_on": "2023-04-30", "as_of": "2026-05-15", "activities": [
        {"type": "reading", "date": "2025-01-10", "quantity": 9999999.99},
        {"type": "reading", "date": "0001-01-01", "quantity": 2}]}
    with pytest.raises(CommandError) as error:
        run(payload)
    assert "activity 0 (reading): the quantity 9999999.99 is more than one activity can plausibly have: at most " \
           "1000 Hours" in str(error.value)
    assert "activity 1 (reading): the date 1 January 0001 is too early: the earliest date accepted is 1 May " \
           "2013" in str(error.value)


def test_invalid_json_and_missing_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("evaluate_portfolio", "--input", str(broken))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("evaluate_portfolio", "--input", str(tmp_path / "missing.json"))


@pytest.mark.django_db
def test_organisation_version_is_used(org_a, ada):
    version = scheme_adopt(organisation=org_a, code="noloc-register-jobcoach", by=ada,
                           effective_from=dt.date(2020, 1, 1))
    assert version.version == 1
    report = run({"scheme": "noloc-register-jobcoach", "recertification_date": "2027-01-01", "as_of": "2026-01-01",
                  "activities": []}, "--organisation", org_a.slug)
    assert report["required_total"] == 75
    with pytest.raises(CommandError, match="no version"):
        run({"scheme": "ccmg-cpd", "cycle_start": "2025-01-01", "designation": "CCOP", "activities": []},
            "--organisation", org_a.slug)
