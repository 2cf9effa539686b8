"""Certifications: administrators create, edit, change status and bulk-create from CSV; professionals see theirs."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent, User
from accounts.tenancy import maintenance
from portfolios import csvio
from portfolios.models import Certification, CertificationStatusChange
from portfolios.services import certifications as services
from schemes.models import SchemeVersion
from schemes.services import scheme_adopt
from tests import factories

pytestmark = pytest.mark.django_db
NOLOC, PEOPLECERT, CCMG = "noloc-register-jobcoach", "peoplecert-cpd", "ccmg-cpd"


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def csv_upload(text: str, name: str = "certificates.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


@pytest.fixture
def schemes(org_a, ada):
    return {code: scheme_adopt(organisation=org_a, code=code, by=ada, effective_from=dt.date(2020, 1, 1))
            for code in (NOLOC, PEOPLECERT, CCMG)}


@pytest.mark.parametrize("name", ["certification_list", "certification_create", "certification_import"])
def test_certification_admin_pages_are_for_administrators(client, org_a, alice, name):
    client.force_login(alice)
    assert client.get(url(name, org_a)).status_code == 403


def test_admin_pages_for_one_certification_are_for_administrators(client, org_a, alice):
    certification = factories.certification(org_a, alice)
    client.force_login(alice)
    for name in ("certification_detail", "certification_edit"):
        assert client.get(url(name, org_a, pk=certification.pk)).status_code == 403
    assert client.post(url("certification_status", org_a, pk=certification.pk),
                       {"status": "lapsed"}).status_code == 403


def test_another_organisations_certification_is_not_found(client, org_a, org_b, ada, charlie):
    theirs = factories.certification(org_b, charlie)
    client.force_login(ada)
    assert client.get(url("certification_detail", org_a, pk=theirs.pk)).status_code == 404
    assert client.post(url("certification_edit", org_a, pk=theirs.pk), {"number": "X"}).status_code == 404


def test_create_a_certification_under_the_version_in_force(client, org_a, ada, alice, schemes):
    # A later version that is not yet in force must not be chosen.
    future = SchemeVersion.objects.create(organisation=org_a, code=NOLOC, version=2,
                                          definition=schemes[NOLOC].definition, effective_from=dt.date(2099, 1, 1),
                                          source="edited", created_by=ada)
    client.force_login(ada)
    page = client.get(url("certification_create", org_a), {"scheme": NOLOC}).content.decode()
    assert 'name="recertification_date"' in page
    assert 'name="exam_passed_on"' not in page
    assert 'name="cycle_start"' not in page
    response = client.post(url("certification_create", org_a), {
        "scheme": NOLOC, "holder": "ALICE@example.com", "number": " NL-100 ", "recertification_date": "2027-06-01",
        "issued_on": "2023-06-01", "expires_on": "2027-06-01"})
    certification = Certification.objects.get(organisation=org_a, number="NL-100")
    assert response.status_code == 302
    assert response["Location"] == url("certification_detail", org_a, pk=certification.pk)
    assert certification.holder == alice
    assert certification.scheme_version == schemes[NOLOC] != future
    assert certification.recertification_date == dt.date(2027, 6, 1)
    change = CertificationStatusChange.objects.get(organisation=org_a, certification=certification)
    assert (change.from_status, change.to_status, change.changed_by) == ("", "active", ada)
    event = AuditEvent.objects.get(organisation=org_a, action="certification.create")
    assert event.data["number"] == "NL-100"
    assert event.data["email"] == "alice@example.com"


@pytest.mark.parametrize(("code", "anchor", "absent", "message"), [
    (NOLOC, "recertification_date", ("exam_passed_on", "cycle_start", "designation", "product_series"),
     "Enter the recertification date"),
    (PEOPLECERT, "exam_passed_on", ("recertification_date", "cycle_start", "designation"),
     "Enter the date the exam was passed"),
    (CCMG, "cycle_start", ("exam_passed_on", "recertification_date", "product_series"),
     "Enter the date the cycle starts"),
])
def test_the_form_asks_for_the_date_the_cycle_model_uses(client, org_a, ada, alice, schemes, code, anchor, absent,
                                                         message):
    client.force_login(ada)
    page = client.get(url("certification_create", org_a), {"scheme": code}).content.decode()
    assert f'name="{anchor}"' in page
    for name in absent:
        assert f'name="{name}"' not in page
    data = {"scheme": code, "holder": "alice@example.com", "number": "TYPED-42", "product_series": "itil-4",
            "designation": "CCOP"}
    response = client.post(url("certification_create", org_a), data)
    body = response.content.decode()
    assert response.status_code == 422
    assert 'value="TYPED-42"' in body
    assert 'value="alice@example.com"' in body
    assert not Certification.objects.filter(organisation=org_a).exists()
    # The service says the same when called directly (the CSV import goes through it).
    definition = schemes[code].rules
    problems = services.certification_problems(definition=definition, values={"number": "X"},
                                               number_taken=lambda number: False)
    assert problems[anchor][0].startswith(message)
    data[anchor] = "2025-01-01"
    assert client.post(url("certification_create", org_a), data).status_code == 302


def test_peoplecert_needs_a_product_series_from_the_definition_and_ccmg_a_designation(client, org_a, ada, alice,
                                                                                       schemes):
    client.force_login(ada)
    page = client.get(url("certification_create", org_a), {"scheme": PEOPLECERT}).content.decode()
    assert '<option value="itil-4">ITIL 4</option>' in page
    assert 'name="membership_valid_until"' in page
    response = client.post(url("certification_create", org_a), {
        "scheme": PEOPLECERT, "holder": "alice@example.com", "number": "PC-1", "exam_passed_on": "2023-04-30"})
    assert response.status_code == 422
    assert "This field is required" in response.content.decode()
    problems = services.certification_problems(definition=schemes[PEOPLECERT].rules, values={
        "number": "PC-1", "exam_passed_on": dt.date(2023, 4, 30), "product_series": "cobit"},
        number_taken=lambda number: False)
    assert problems["product_series"] == ["Choose a product series: itil-4, prince2, msp."]
    problems = services.certification_problems(definition=schemes[CCMG].rules, values={
        "number": "C-1", "cycle_start": dt.date(2025, 1, 1), "designation": "CCXX"}, number_taken=lambda n: False)
    assert problems["designation"] == ["Choose a designation: CCSUP, CCOP, CCStP, CCIDP."]
    page = client.get(url("certification_create", org_a), {"scheme": CCMG}).content.decode()
    assert '<option value="CCOP">' in page


def test_certificate_numbers_are_unique_per_organisation(client, org_a, org_b, ada, alice, charlie, schemes):
    factories.certification(org_a, alice, number="NL-7")
    factories.certification(org_b, charlie, number="NL-8")
    client.force_login(ada)
    data = {"scheme": NOLOC, "holder": "alice@example.com", "number": "nl-7", "recertification_date": "2027-06-01"}
    response = client.post(url("certification_create", org_a), data)
    assert response.status_code == 422
    assert "Certificate number nl-7 is already in use in this organisation" in response.content.decode()
    data["number"] = "NL-8"  # another organisation's number is no obstacle
    assert client.post(url("certification_create", org_a), data).status_code == 302


def test_the_holder_must_be_a_professional_member(client, org_a, ada, bob, charlie, schemes):
    client.force_login(ada)
    data = {"scheme": NOLOC, "number": "NL-1", "recertification_date": "2027-06-01"}
    response = client.post(url("certification_create", org_a), {**data, "holder": "charlie@example.com"})
    assert response.status_code == 422
    assert "No member of this organisation has the e-mail address charlie@example.com" in response.content.decode()
    response = client.post(url("certification_create", org_a), {**data, "holder": "bob@example.com"})
    assert "bob@example.com is a member but not a professional" in response.content.decode()


def test_choosing_the_scheme_with_htmx_swaps_only_the_fields(client, org_a, ada, schemes):
    client.force_login(ada)
    response = client.get(url("certification_create", org_a), {"scheme": CCMG}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="certification-fields"' in body
    assert 'name="cycle_start"' in body
    assert "<html" not in body


def test_without_a_scheme_in_force_the_page_says_to_adopt_one(client, org_a, ada):
    client.force_login(ada)
    assert "Adopt a scheme" in client.get(url("certification_create", org_a)).content.decode()


def test_edit_keeps_holder_and_scheme_and_checks_the_number(client, org_a, ada, alice):
    certification = factories.certification(org_a, alice, number="NL-1")
    factories.certification(org_a, alice, number="NL-2")
    client.force_login(ada)
    page = client.get(url("certification_edit", org_a, pk=certification.pk)).content.decode()
    assert 'value="2027-06-01"' in page
    assert 'name="holder"' not in page
    response = client.post(url("certification_edit", org_a, pk=certification.pk),
                           {"number": "NL-2", "recertification_date": "2028-01-01"})
    assert response.status_code == 422
    assert "already in use" in response.content.decode()
    assert 'value="2028-01-01"' in response.content.decode()
    response = client.post(url("certification_edit", org_a, pk=certification.pk),
                           {"number": "NL-1", "recertification_date": ""})
    assert response.status_code == 422
    response = client.post(url("certification_edit", org_a, pk=certification.pk),
                           {"number": "NL-1b", "recertification_date": "2028-01-01", "expires_on": "2028-01-01"})
    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.number, certification.recertification_date) == ("NL-1b", dt.date(2028, 1, 1))
    event = AuditEvent.objects.get(organisation=org_a, action="certification.update")
    assert event.data["fields"] == "number, recertification_date, expires_on"


def test_status_changes_are_recorded_and_shown_as_history(client, org_a, ada, alice):
    certification = factories.certification(org_a, alice, number="NL-9")
    client.force_login(ada)
    response = client.post(url("certification_status", org_a, pk=certification.pk),
                           {"status": "suspended", "note": "Fee unpaid"})
    assert response.status_code == 302
    response = client.post(url("certification_status", org_a, pk=certification.pk), {"status": "suspended"})
    assert response.status_code == 422
    assert "already suspended" in response.content.decode()
    certification.refresh_from_db()
    assert certification.status == "suspended"
    change = CertificationStatusChange.objects.get(organisation=org_a, certification=certification)
    assert (change.from_status, change.to_status, change.note, change.changed_by) == (
        "active", "suspended", "Fee unpaid", ada)
    page = client.get(url("certification_detail", org_a, pk=certification.pk)).content.decode()
    assert "Fee unpaid" in page
    assert "Active → <strong>Suspended</strong>" in page
    assert AuditEvent.objects.filter(organisation=org_a, action="certification.status").count() == 1
    client.force_login(alice)
    mine = client.get(url("my_certifications", org_a)).content.decode()
    assert "NL-9" in mine
    assert "Fee unpaid" in mine


def test_professionals_see_only_their_own_certifications(client, org_a, org_b, alice, ada, charlie):
    factories.member(org_a, "pat@example.com", "professional")
    factories.certification(org_a, alice, number="ALICE-1")
    factories.certification(org_a, User.objects.get(email="pat@example.com"), number="PAT-1")
    factories.certification(org_b, charlie, number="CHARLIE-1")
    client.force_login(alice)
    page = client.get(url("my_certifications", org_a)).content.decode()
    assert "ALICE-1" in page
    assert "PAT-1" not in page
    assert "CHARLIE-1" not in page
    client.force_login(ada)  # administrator without the professional role
    assert client.get(url("my_certifications", org_a)).status_code == 403


def test_list_filters_and_paginates_with_constant_queries(client, org_a, ada, alice, django_assert_max_num_queries):
    factories.certification(org_a, alice, number="FIRST-1", expires_on=dt.date.today() + dt.timedelta(days=20))
    client.force_login(ada)
    client.get(url("certification_list", org_a))
    with django_assert_max_num_queries(20) as one:
        client.get(url("certification_list", org_a))
    for i in range(30):
        person = factories.member(org_a, f"p{i}@example.com", "professional", last_name=f"Zed{i:02}")
        factories.certification(org_a, person, "peoplecert-cpd" if i % 2 else NOLOC, number=f"MANY-{i:02}")
    with django_assert_max_num_queries(20) as many:
        page = client.get(url("certification_list", org_a)).content.decode()
    assert len(one.captured_queries) == len(many.captured_queries)
    assert "Page 1 of 2" in page
    assert "31 certifications" in page
    by_search = client.get(url("certification_list", org_a), {"q": "zed07"}).content.decode()
    assert "MANY-07" in by_search
    assert "MANY-08" not in by_search
    by_scheme = client.get(url("certification_list", org_a), {"scheme": "peoplecert-cpd"}).content.decode()
    assert "15 certifications" in by_scheme
    expiring = client.get(url("certification_list", org_a), {"expiring": "30"}).content.decode()
    assert "FIRST-1" in expiring
    assert "MANY-01" not in expiring
    Certification.objects.filter(organisation=org_a, number="MANY-03").update(status="lapsed")
    lapsed = client.get(url("certification_list", org_a), {"status": "lapsed"}).content.decode()
    assert "MANY-03" in lapsed
    assert "1 certification" in lapsed
    table = client.get(url("certification_list", org_a), {"q": "first"}, headers={"HX-Request": "true"})
    assert 'id="certification-table"' in table.content.decode()
    assert "<html" not in table.content.decode()


# --- CSV ------------------------------------------------------------------------------------------------

HEADER = ",".join(services.CSV_HEADER)


@pytest.fixture
def people(org_a, alice):
    factories.member(org_a, "pat@example.com", "professional", first_name="Pat")
    return alice


def test_csv_dry_run_then_import_all_rows(client, org_a, ada, people, schemes):
    text = "\n".join([
        HEADER,
        "alice@example.com,NL-1,noloc-register-jobcoach,,2027-06-01,,2027-06-01,,,",
        "pat@example.com,PC-1,peoplecert-cpd,2023-04-30,,,,itil-4,,2027-12-31",
        "pat@example.com,CC-1,ccmg-cpd,,,2025-01-01,,,CCOP,",
    ]) + "\n"
    client.force_login(ada)
    response = client.post(url("certification_import", org_a), {"file": csv_upload(text)})
    body = response.content.decode()
    assert response.status_code == 200
    assert "All 3 rows are in order." in body
    assert not Certification.objects.filter(organisation=org_a).exists()  # a dry run saves nothing
    token = response.context["apply"].initial["token"]
    response = client.post(url("certification_import", org_a), {"token": token})
    assert response.status_code == 302
    created = {c.number: c for c in Certification.objects.filter(organisation=org_a).select_related("scheme_version")}
    assert set(created) == {"NL-1", "PC-1", "CC-1"}
    assert created["PC-1"].product_series == "itil-4"
    assert created["PC-1"].membership_valid_until == dt.date(2027, 12, 31)
    assert created["CC-1"].designation == "CCOP"
    assert created["CC-1"].scheme_version.code == CCMG
    assert CertificationStatusChange.objects.filter(organisation=org_a).count() == 3
    assert AuditEvent.objects.get(organisation=org_a, action="certification.import").data["count"] == 3


def test_csv_with_a_bad_row_reports_it_and_applies_nothing(client, org_a, ada, people, schemes):
    factories.certification(org_a, people, number="TAKEN-1")
    text = "\n".join([
        HEADER,
        "alice@example.com,NL-1,noloc-register-jobcoach,,2027-06-01,,,,,",
        "nobody@example.com,NL-2,noloc-register-jobcoach,,2027-06-01,,,,,",
        "pat@example.com,taken-1,noloc-register-jobcoach,,,,,,,",
        "pat@example.com,NL-1,unknown-scheme,,,,,,,",
    ])
    client.force_login(ada)
    response = client.post(url("certification_import", org_a), {"file": csv_upload(text)})
    body = response.content.decode()
    assert response.status_code == 422
    assert "3 rows have problems, so nothing can be imported yet." in body
    assert "No member of this organisation has the e-mail address nobody@example.com" in body
    assert "Certificate number taken-1 is already in use" in body
    assert "Enter the recertification date" in body
    assert "“unknown-scheme” is not a scheme of this organisation" in body
    assert "Certificate number NL-1 is also on row 2" in body
    assert "apply" not in response.context
    assert Certification.objects.filter(organisation=org_a).count() == 1


def test_csv_import_is_all_or_nothing_when_data_changed_after_the_dry_run(client, org_a, ada, people, schemes):
    text = "\n".join([HEADER, "alice@example.com,NL-1,noloc-register-jobcoach,,2027-06-01,,,,,",
                      "pat@example.com,NL-2,noloc-register-jobcoach,,2027-06-01,,,,,"])
    client.force_login(ada)
    checked = client.post(url("certification_import", org_a), {"file": csv_upload(text)})
    token = checked.context["apply"].initial["token"]
    factories.certification(org_a, people, number="NL-2")  # someone else took the number meanwhile
    response = client.post(url("certification_import", org_a), {"token": token})
    body = response.content.decode()
    assert response.status_code == 422
    assert "Nothing was imported." in body
    assert "Row 3: Certificate number NL-2 is already in use" in body
    assert list(Certification.objects.filter(organisation=org_a).values_list("number", flat=True)) == ["NL-2"]
    # The service itself refuses the whole file.
    table = services.certifications_csv_parse(text)
    with pytest.raises(services.ValidationError):
        services.certifications_csv_import(organisation=org_a, by=ada, table=table, file_name="x.csv")
    assert Certification.objects.filter(organisation=org_a).count() == 1


def test_csv_header_encoding_and_delimiters(client, org_a, ada, people, schemes):
    client.force_login(ada)
    response = client.post(url("certification_import", org_a), {"file": csv_upload("mail,number\nx,y\n")})
    body = response.content.decode()
    assert response.status_code == 422
    assert "The header lacks the columns email, certificate_number, scheme." in body
    assert "The columns mail, number are not ones this import knows." in body
    response = client.post(url("certification_import", org_a), {"file": csv_upload("é", encoding="latin-1")})
    assert "The file is not UTF-8 text" in response.content.decode()
    semicolons = "\ufeffemail;certificate_number;scheme;recertification_date\nalice@example.com;NL-5;" \
                 "noloc-register-jobcoach;2027-06-01\n"
    response = client.post(url("certification_import", org_a), {"file": csv_upload(semicolons)})
    assert "The row is in order." in response.content.decode()
    assert client.post(url("certification_import", org_a), {}).status_code == 422


def test_apply_with_an_unknown_token_asks_to_upload_again(client, org_a, ada, schemes):
    client.force_login(ada)
    response = client.post(url("certification_import", org_a), {"token": "a" * 64})
    assert response.status_code == 422
    assert "Upload it again" in response.content.decode()


def test_a_stashed_file_is_only_for_the_administrator_who_checked_it(org_a, ada):
    token = csvio.stash(kind="certifications", organisation_id=org_a.pk, user_id=ada.pk, name="f.csv", text="x",
                        sha256="b" * 64)
    assert csvio.unstash(kind="certifications", organisation_id=org_a.pk, user_id=ada.pk, token=token) == ("f.csv",
                                                                                                            "x")
    assert csvio.unstash(kind="certifications", organisation_id=org_a.pk, user_id=ada.pk + 1, token=token) is None
    assert csvio.unstash(kind="activities", organisation_id=org_a.pk, user_id=ada.pk, token=token) is None


def test_my_certifications_query_count_does_not_grow(client, org_a, ada, alice, django_assert_max_num_queries):
    certification = factories.certification(org_a, alice, number="OWN-0", by=ada)
    client.force_login(alice)
    client.get(url("my_certifications", org_a))
    with django_assert_max_num_queries(20) as one:
        client.get(url("my_certifications", org_a))
    for i in range(12):
        factories.certification(org_a, alice, "ccmg-cpd" if i % 2 else NOLOC, number=f"OWN-{i + 1}", by=ada)
    with maintenance():
        CertificationStatusChange.objects.create(organisation=org_a, certification=certification, from_status="active",
                                                 to_status="lapsed", changed_by=ada)
    with django_assert_max_num_queries(20) as many:
        page = client.get(url("my_certifications", org_a)).content.decode()
    assert len(one.captured_queries) == len(many.captured_queries)
    assert "OWN-12" in page
    assert "Active → <strong>Lapsed</strong>" in page
