"""Bulk import of activities: dry run, all rows or none, never twice, clear messages for bad files."""

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from portfolios import csvio, reports
from portfolios.models import Activity, ActivityImport
from portfolios.services import imports as services
from schemes.models import SchemeVersion
from tests import factories

pytestmark = pytest.mark.django_db
HEADER = "email_or_certificate_number,type,date,quantity,title,provider,description,completed"


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def upload(text: str, name: str = "cpd.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


@pytest.fixture
def ccmg(org_a, alice, ada):
    """Alice holds a CCMG certification (CCOP, cycle from 1 January 2025) numbered CC-1."""
    return factories.certification(org_a, alice, "ccmg-cpd", number="CC-1", by=ada)


@pytest.fixture
def pat(org_a, ada):
    """Pat holds a Noloc certification (recertification 1 June 2027)."""
    person = factories.member(org_a, "pat@example.com", "professional", first_name="Pat")
    factories.certification(org_a, person, number="NL-1", by=ada)
    return person


def engine_total(org, certification) -> Decimal:
    report = reports.evaluate_certification(certification, certification.scheme_version.rules,
                                            reports.owner_activities(org, certification.holder_id))
    return report.total_counted


GOOD = "\n".join([
    HEADER,
    "alice@example.com,training-course-with-exam,2025-03-01,10,ITIL course,Acme Training,Two days,yes",
    "CC-1,webinar,2025-04-01,2,Queue management webinar,,,",
]) + "\n"


def dry_run(client, org, text, name="cpd.csv"):
    return client.post(url("activity_import", org), {"file": upload(text, name)})


@pytest.mark.parametrize("name", ["activity_imports", "activity_import"])
def test_import_pages_are_for_administrators(client, org_a, alice, name):
    client.force_login(alice)
    assert client.get(url(name, org_a)).status_code == 403


def test_a_good_file_applies_all_rows(client, org_a, ada, alice, ccmg):
    client.force_login(ada)
    page = client.get(url("activity_import", org_a)).content.decode()
    assert "email_or_certificate_number,type,date,quantity,title,provider,description" in page
    assert "<code>completed</code>" in page  # the detail columns the organisation's schemes know
    response = dry_run(client, org_a, GOOD)
    body = response.content.decode()
    assert response.status_code == 200
    assert "All 2 rows are in order." in body
    assert "Alice Person" in body
    assert ">10<" in body
    assert not Activity.objects.filter(organisation=org_a).exists()  # the dry run saved nothing
    response = client.post(url("activity_import", org_a), {"token": response.context["apply"].initial["token"]})
    record = ActivityImport.objects.get(organisation=org_a)
    assert response.status_code == 302
    assert response["Location"] == url("activity_import_detail", org_a, pk=record.pk)
    assert (record.file_name, record.row_count, record.created_count, record.skipped_count) == ("cpd.csv", 2, 2, 0)
    assert record.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert record.uploaded_by == ada
    activities = {a.type_code: a for a in Activity.objects.filter(organisation=org_a)}
    course = activities["training-course-with-exam"]
    assert course.owner == alice
    assert course.imported_by == record
    assert len(course.import_key) == 64
    assert course.attributes == {"completed": True}
    assert course.provider == "Acme Training"
    assert activities["webinar"].owner == alice  # matched by certificate number
    assert engine_total(org_a, ccmg) == 12
    assert AuditEvent.objects.get(organisation=org_a, action="activities.import").data["created"] == 2
    detail = client.get(url("activity_import_detail", org_a, pk=record.pk)).content.decode()
    assert "Queue management webinar" in detail
    assert "cpd.csv" in client.get(url("activity_imports", org_a)).content.decode()


def test_importing_the_same_file_twice_does_not_double_the_points(client, org_a, ada, ccmg):
    client.force_login(ada)
    token = dry_run(client, org_a, GOOD).context["apply"].initial["token"]
    client.post(url("activity_import", org_a), {"token": token})
    before = engine_total(org_a, ccmg)
    response = dry_run(client, org_a, GOOD, name="cpd-again.csv")
    assert response.content.decode().count("Already imported; skipped.") == 2
    response = client.post(url("activity_import", org_a), {"token": response.context["apply"].initial["token"]})
    assert response.status_code == 302
    assert Activity.objects.filter(organisation=org_a).count() == 2
    assert engine_total(org_a, ccmg) == before == 12
    second = ActivityImport.objects.filter(organisation=org_a).order_by("-pk").first()
    assert second is not None
    assert (second.created_count, second.skipped_count) == (0, 2)
    # The same rows inside one file count once as well.
    twice = GOOD + "alice@example.com,webinar,2025-05-01,1,Extra,,,\nalice@example.com,webinar,2025-05-01,1,Extra,,,\n"
    response = dry_run(client, org_a, twice)
    assert "The same activity as row 4; imported once." in response.content.decode()
    client.post(url("activity_import", org_a), {"token": response.context["apply"].initial["token"]})
    assert engine_total(org_a, ccmg) == 13


def test_a_file_with_one_bad_row_applies_nothing_and_reports_the_row_and_reason(client, org_a, ada, ccmg, pat):
    text = "\n".join([
        "email_or_certificate_number,type,date,quantity,title,words",
        "alice@example.com,webinar,2025-04-01,2,Webinar,",
        "pat@example.com,article,2025-04-01,1,My article,1000",
        "pat@example.com,course,2025-04-01,8,A course,",
    ])
    client.force_login(ada)
    response = dry_run(client, org_a, text)
    body = response.content.decode()
    assert response.status_code == 422
    assert "1 row has a problem, so nothing can be imported yet." in body
    assert "Number of words is 1000, below the minimum of 1500" in body
    assert "apply" not in response.context
    table = services.activities_csv_parse(context=services.import_context(org_a), text=text)
    with pytest.raises(ValidationError) as raised:
        services.activities_csv_import(organisation=org_a, by=ada, table=table, file_name="cpd.csv")
    assert raised.value.messages == ["Row 3: Number of words is 1000, below the minimum of 1500"]
    assert not Activity.objects.filter(organisation=org_a).exists()
    assert not ActivityImport.objects.filter(organisation=org_a).exists()


def test_rows_are_matched_and_checked_with_the_persons_schemes(client, org_a, ada, bob, ccmg, pat):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    text = "\n".join([
        "email_or_certificate_number;type;date;quantity;title;completed",
        "nobody@example.com;webinar;2025-04-01;1;A;",
        "bob@example.com;webinar;2025-04-01;1;B;",
        "XX-404;webinar;2025-04-01;1;C;",
        "pat@example.com;webinar;2025-04-01;1;D;",
        "alice@example.com;webinar;31-12-2025;many;;",
        f"alice@example.com;webinar;{future};1;F;",
        "alice@example.com;webinar;2025-04-01;1;G;maybe",
        "alice@example.com;webinar;2025-04-01;1,5;Decimal comma;",
        "ada@example.com;webinar;2025-04-01;1;H;",
    ])
    factories.member(org_a, "ada@example.com", "professional")  # a professional without a certification
    client.force_login(ada)
    rows = {row.number: row for row in dry_run(client, org_a, text).context["check"].rows}
    assert rows[2].messages == ["No member of this organisation has the e-mail address nobody@example.com."]
    assert rows[3].messages == ["bob@example.com is a member but not a professional."]
    assert rows[4].messages == ["No certification in this organisation has the number XX-404."]
    assert rows[5].messages == ["“webinar” is not an activity type of Noloc Register Jobcoach recertification."]
    assert rows[6].messages == ["date “31-12-2025” is not a date; write it as YYYY-MM-DD (2026-04-30).",
                                "quantity “many” is not a number.", "Enter a title."]
    assert "cannot be in the future" in rows[7].messages[0]
    assert rows[8].messages == ["The column completed does not apply to the type webinar; leave it empty."]
    assert rows[9].status == "ok"
    assert rows[9].points == "1.5"
    assert "holds no certification in this organisation" in rows[10].messages[0]


def test_wrong_header_names_the_missing_and_unknown_columns(client, org_a, ada, ccmg):
    client.force_login(ada)
    response = dry_run(client, org_a, "email,type,quantity,title,colour\nalice@example.com,webinar,1,x,red\n")
    body = response.content.decode()
    assert response.status_code == 422
    assert "The header lacks the columns email_or_certificate_number, date." in body
    assert "The columns email, colour are not ones this import knows." in body


def test_too_large_and_too_long_files_are_refused_with_a_clear_message(client, org_a, ada, ccmg):
    client.force_login(ada)
    big = SimpleUploadedFile("big.csv", b"a" * (csvio.MAX_BYTES + 1), content_type="text/csv")
    response = client.post(url("activity_import", org_a), {"file": big})
    assert response.status_code == 422
    assert "The file is larger than 5 MB" in response.content.decode()
    many = HEADER + "\n" + "alice@example.com,webinar,2025-04-01,1,W,,,\n" * (csvio.MAX_ROWS + 1)
    response = dry_run(client, org_a, many)
    assert response.status_code == 422
    assert "The file has more than 10,000 rows" in response.content.decode()
    empty = dry_run(client, org_a, HEADER + "\n")
    assert "The file has a header but no rows to import." in empty.content.decode()


def test_import_keys_identify_the_activity_not_the_row():
    common: dict[str, Any] = {"organisation_id": 1, "owner_id": 2, "type_code": "webinar",
                              "date": dt.date(2025, 4, 1), "title": "W", "attributes": {}}
    assert services.import_key(quantity=Decimal("1"), **common) == services.import_key(quantity=Decimal("1.00"),
                                                                                      **common)
    assert services.import_key(quantity=Decimal("1"), **common) != services.import_key(quantity=Decimal("2"),
                                                                                      **common)
    assert services.import_key(quantity=Decimal("1"), **common) != services.import_key(
        quantity=Decimal("1"), **{**common, "owner_id": 3})


def test_import_history_and_detail_are_scoped(client, org_a, org_b, ada, charlie):
    theirs = ActivityImport.objects.create(organisation=org_b, uploaded_by=charlie, file_name="b.csv", sha256="0" * 64)
    client.force_login(ada)
    assert client.get(url("activity_import_detail", org_a, pk=theirs.pk)).status_code == 404
    assert "b.csv" not in client.get(url("activity_imports", org_a)).content.decode()


def test_import_history_query_count_does_not_grow(client, org_a, ada, django_assert_max_num_queries):
    ActivityImport.objects.create(organisation=org_a, uploaded_by=ada, file_name="f0.csv", sha256="0" * 64)
    client.force_login(ada)
    client.get(url("activity_imports", org_a))
    # 16: the page also asks which schemes are in force (an import is offered only when one has activity types).
    with django_assert_max_num_queries(16) as one:
        client.get(url("activity_imports", org_a))
    for i in range(30):
        ActivityImport.objects.create(organisation=org_a, uploaded_by=ada, file_name=f"f{i + 1}.csv", sha256="0" * 64)
    with django_assert_max_num_queries(16) as many:
        page = client.get(url("activity_imports", org_a)).content.decode()
    assert len(one.captured_queries) == len(many.captured_queries)
    assert "Page 1 of 2" in page


def test_implausible_quantities_and_dates_are_refused_naming_the_bound(client, org_a, ada, ccmg):
    """CCMG, cycle from 1 January 2025: the earliest plausible date is 1 January 2015."""
    text = "\n".join([
        "email_or_certificate_number,type,date,quantity,title",
        "CC-1,webinar,2025-04-01,9999999.99,Typo",
        "CC-1,webinar,0001-01-01,2,Year one",
        "CC-1,webinar,2014-12-31,2,Too early",
        "CC-1,webinar,2015-01-01,2,Early but plausible",
    ])
    client.force_login(ada)
    rows = {row.number: row for row in dry_run(client, org_a, text).context["check"].rows}
    assert rows[2].messages == ["the quantity 9999999.99 is more than one activity can plausibly have: at most 1000 "
                                "Hours"]
    assert rows[3].messages == ["The date 1 January 0001 is too early: the earliest date accepted is 1 January 2015"]
    assert rows[4].messages == ["The date 31 December 2014 is too early: the earliest date accepted is 1 January 2015"]
    assert rows[5].status == "ok"
    assert not Activity.objects.filter(organisation=org_a).exists()


def test_a_decimal_attribute_is_imported_as_text_and_counts(client, org_a, ada, alice, pat):
    """Pat's Noloc courses carry a decimal attribute (an administrator's edit): the import stored it as a
    float, which the engine did not count; now it is stored as the form stores it, and counts."""
    from tests.test_activities import with_ects

    with_ects(org_a, ada)
    text = "\n".join(["email_or_certificate_number,type,date,quantity,title,ects",
                      "pat@example.com,course,2025-04-01,8,A course,\"2,5\"",
                      "pat@example.com,course,2025-04-02,2,Too small,0.25"])
    client.force_login(ada)
    rows = dry_run(client, org_a, text).context["check"].rows
    assert rows[0].status == "ok"
    assert rows[1].messages == ["ECTS credits is 0.25, below the minimum of 0.5"]
    text = "\n".join(text.splitlines()[:2])
    response = dry_run(client, org_a, text)
    client.post(url("activity_import", org_a), {"token": response.context["apply"].initial["token"]})
    activity = Activity.objects.get(organisation=org_a, owner=pat)
    assert activity.attributes == {"ects": "2.5"}
    certification = pat.certifications.get()
    definition = SchemeVersion.objects.for_organisation(org_a).in_force(dt.date.today())[
        "noloc-register-jobcoach"].rules
    report = reports.evaluate_certification(certification, definition, reports.owner_activities(org_a, pat),
                                            dt.date(2026, 5, 1))
    assert report.total_counted == 8
