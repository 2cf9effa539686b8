"""The compliance overview: the engine's verdict per active certification, filters, fixed queries, CSV export."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from portfolios import lifecycle, reports
from portfolios.models import Certification
from schemes.models import SchemeVersion
from tests import factories

pytestmark = pytest.mark.django_db
EXPORT_HEADER = ["certificate_number", "email", "name", "scheme", "compliant", "total_counted", "required_total",
                 "deadline", "days_left", "missing"]


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def cast(org_a, ada, alice):
    """Alice: CCMG with some points; Pat: Noloc, compliant; Quinn: PeopleCert with nothing; Rae: lapsed."""
    pat = factories.member(org_a, "pat@example.com", "professional", first_name="Pat", last_name="Adams")
    quinn = factories.member(org_a, "quinn@example.com", "professional", first_name="Quinn", last_name="Berg")
    rae = factories.member(org_a, "rae@example.com", "professional", first_name="Rae", last_name="Cole")
    certifications = {
        "alice": factories.certification(org_a, alice, "ccmg-cpd", number="CC-1", by=ada),
        "pat": factories.certification(org_a, pat, number="NL-1", by=ada),
        "quinn": factories.certification(org_a, quinn, "peoplecert-cpd", number="PC-1", by=ada),
        "rae": factories.certification(org_a, rae, number="NL-2", status="lapsed", by=ada),
    }
    factories.activity(org_a, alice, "webinar", dt.date(2025, 3, 1), 12)
    factories.activity(org_a, alice, "training-course-with-exam", dt.date(2025, 6, 1), 20)
    factories.activity(org_a, pat, "course", dt.date(2024, 3, 1), 40)
    factories.activity(org_a, pat, "peer-meeting", dt.date(2024, 5, 1), 15)
    factories.activity(org_a, pat, "lecture", dt.date(2025, 5, 1), 1)
    factories.activity(org_a, pat, "webinar", dt.date(2025, 5, 1), 3)  # not a Noloc type: ignored there
    return certifications


def engine_report(org, certification):
    version = SchemeVersion.objects.for_organisation(org).in_force(timezone.localdate())[
        certification.scheme_version.code]
    return version.rules, reports.evaluate_certification(certification, version.rules,
                                                         reports.owner_activities(org, certification.holder_id))


@pytest.mark.parametrize("name", ["compliance", "compliance_export"])
def test_compliance_pages_are_for_administrators(client, org_a, alice, name):
    client.force_login(alice)
    assert client.get(url(name, org_a)).status_code == 403


def test_overview_numbers_equal_the_engine(client, org_a, ada, cast):
    client.force_login(ada)
    response = client.get(url("compliance", org_a))
    rows = {row.certification.number: row for row in response.context["page"].object_list}
    assert set(rows) == {"CC-1", "NL-1", "PC-1"}  # only active certifications
    today = timezone.localdate()
    for number in rows:
        certification = Certification.objects.get(organisation=org_a, number=number)
        definition, report = engine_report(org_a, certification)
        row = rows[number]
        assert row.evaluated
        due = reports.due_date(certification, definition, report, today)
        assert (row.points_compliant, row.total_counted, row.required_total, row.deadline) == (
            report.compliant, report.total_counted, report.required_total, due)
        assert row.days_left == (due - today).days
        if not report.compliant:  # the points' gaps come first in "why at risk"
            assert row.missing.startswith(lifecycle.gap_sentence(report, definition, due))
    # Issue 13 item 6: enough points but no dossier submitted is not "compliant" for a dossier scheme.
    assert rows["NL-1"].points_compliant
    assert not rows["NL-1"].compliant
    assert rows["NL-1"].total_counted == 76
    assert "Start your dossier" in rows["NL-1"].missing
    assert "Dossier: Not started." in rows["NL-1"].stage
    assert not rows["CC-1"].compliant
    assert rows["CC-1"].total_counted == 32
    body = response.content.decode()
    assert rows["CC-1"].missing in body
    assert "3 not compliant" in body


def test_a_certification_without_its_anchor_date_is_shown_as_not_judged(client, org_a, ada, alice):
    certification = factories.certification(org_a, alice, number="NL-X", recertification_date=None)
    client.force_login(ada)
    response = client.get(url("compliance", org_a))
    row = response.context["page"].object_list[0]
    assert row.certification == certification
    assert not row.evaluated
    assert row.missing.startswith("Enter the recertification date")
    assert "Cannot be judged" in response.content.decode()


def test_filters_and_sorting(client, org_a, ada, cast):
    client.force_login(ada)

    def numbers(**params):
        return [row.certification.number for row in
                client.get(url("compliance", org_a), params).context["page"].object_list]

    deadlines = {row.certification.number: row.deadline for row in
                 client.get(url("compliance", org_a)).context["page"].object_list}
    assert numbers() == sorted(deadlines, key=lambda n: (deadlines[n], n))
    assert numbers(sort="-deadline") == sorted(deadlines, key=lambda n: (deadlines[n], n), reverse=True)
    assert numbers(sort="name") == ["NL-1", "PC-1", "CC-1"]  # Adams, Berg, Person
    assert numbers(not_compliant="on") == numbers()  # NL-1 has its points but no dossier submitted
    assert numbers(scheme="ccmg-cpd") == ["CC-1"]
    assert numbers(q="quinn") == ["PC-1"]
    earliest = min(deadlines[n] for n in ("CC-1", "PC-1", "NL-1"))
    at_risk = [n for n in ("CC-1", "PC-1", "NL-1") if deadlines[n] <= earliest]
    assert numbers(risk_before=earliest.isoformat()) == at_risk
    assert numbers(risk_before=(earliest - dt.timedelta(days=1)).isoformat()) == []
    bad = client.get(url("compliance", org_a), {"risk_before": "soon"})
    assert "Enter a valid date" in bad.content.decode()
    table = client.get(url("compliance", org_a), {"scheme": "ccmg-cpd"}, headers={"HX-Request": "true"})
    assert 'id="compliance-table"' in table.content.decode()
    assert "<html" not in table.content.decode()


def test_query_count_does_not_grow_with_certifications(client, org_a, ada, alice, django_assert_max_num_queries):
    factories.certification(org_a, alice, number="NL-0", by=ada)
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 10)
    client.force_login(ada)
    client.get(url("compliance", org_a))
    with django_assert_max_num_queries(20) as one:
        client.get(url("compliance", org_a))
    for i in range(30):
        person = factories.member(org_a, f"p{i}@example.com", "professional", last_name=f"P{i:02}")
        factories.certification(org_a, person, "ccmg-cpd" if i % 3 else "noloc-register-jobcoach",
                                number=f"N-{i:02}", by=ada)
        factories.activity(org_a, person, "course" if i % 3 == 0 else "webinar", dt.date(2025, 3, 1), 5)
    with django_assert_max_num_queries(20) as many:
        response = client.get(url("compliance", org_a))
    assert len(one.captured_queries) == len(many.captured_queries)
    assert response.context["page"].paginator.count == 31
    with django_assert_max_num_queries(20) as export:
        client.get(url("compliance_export", org_a))
    assert len(export.captured_queries) <= len(many.captured_queries)


def test_csv_export_has_stable_columns_and_the_same_rows(client, org_a, ada, cast):
    client.force_login(ada)
    response = client.get(url("compliance_export", org_a), {"not_compliant": "on"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="compliance-acme-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == EXPORT_HEADER
    page = client.get(url("compliance", org_a), {"not_compliant": "on"}).context["page"].object_list
    assert [row[0] for row in rows[1:]] == [row.certification.number for row in page]
    by_number = {row[0]: dict(zip(EXPORT_HEADER, row, strict=True)) for row in rows[1:]}
    alice = by_number["CC-1"]
    definition, report = engine_report(org_a, Certification.objects.get(organisation=org_a, number="CC-1"))
    assert alice["email"] == "alice@example.com"
    assert alice["name"] == "Alice Person"
    assert alice["scheme"] == "ccmg-cpd"
    assert alice["compliant"] == "no"
    assert alice["total_counted"] == "32"
    assert alice["required_total"] == str(report.required_total)
    assert alice["deadline"] == report.deadline.isoformat()
    assert alice["days_left"] == str((report.deadline - timezone.localdate()).days)
    assert alice["missing"].startswith(lifecycle.gap_sentence(report, definition, report.deadline))
    assert alice["missing"]


def test_the_export_neutralises_spreadsheet_formulas(client, org_a, ada, alice):
    alice.first_name = "=HYPERLINK(1)"
    alice.save()
    factories.certification(org_a, alice, number="NL-1", by=ada)
    client.force_login(ada)
    text = client.get(url("compliance_export", org_a)).content.decode()
    assert "'=HYPERLINK(1) Person" in text
