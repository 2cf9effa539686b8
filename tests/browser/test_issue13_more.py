"""Issue 13 items 8 and 5 (the rest) in a real browser.

Item 8: a dossier section's state follows an upload at once (with JavaScript: the upload's answer carries
the section's state and what it still needs; without: the redirect shows them), and a section whose
requirement is the activity log's points states the points ("50 of 75 PE points; 25 to go") instead of
"Not started/Draft", on the dossier page and on the section page.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from dossiers.models import Dossier
from dossiers.services import dossiers as dossier_services
from dossiers.services import statements as statement_services
from tests import factories
from tests.browser.test_professional_journeys import PDF, media, sign_in  # noqa: F401  (media is a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def noloc_dossier(points: int = 50):
    """Alice's Noloc recertification dossier, A1's statement signed (only the CV is missing), `points`
    counted PE points in the log."""
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice")
        certification = factories.certification(noloc, alice, "noloc-register-jobcoach",
                                                recertification_date=dt.date(2027, 9, 30))
        factories.activity(noloc, alice, "course", dt.date(2025, 5, 1), points)
        dossier, _created = dossier_services.dossier_start(certification=certification, by=alice)
        statement = statement_services.statement_request(
            dossier=dossier, section_code="A1", requirement_code="working-as-jobcoach", signer_name="Bo Boss",
            signer_email="bo@example.com", by=alice)
        statement_services.statement_sign(statement=statement, signed_name="Bo Boss", fields={
            "jobcoach-name": "Alice", "organisation": "Noloc member", "role": "Jobcoach", "practising": True,
            "signed-on": "2026-10-01"})
    return dossier


def checklist_item(page, label):
    return page.locator("#checklist-heading + ol > li").filter(has=page.get_by_role("link", name=label))


def test_item8_section_state_follows_the_upload_with_javascript(new_page, media, tmp_path):  # noqa: F811
    dossier = noloc_dossier()
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto(f"/noloc/dossiers/{dossier.pk}/")
    a1 = checklist_item(page, re.compile("^A1"))
    expect(a1).to_contain_text("Upload the")
    expect(a1.locator(".badge")).to_have_text("Draft")
    a1.get_by_role("link").click()
    expect(page.locator("#section-missing")).to_contain_text("Upload the")
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    expect(page.locator("form[data-evidence-ready]").first).to_be_attached()
    page.locator('input[type="file"]').first.set_input_files(str(cv))
    expect(page.locator(".evidence-list").first).to_contain_text("cv.pdf")
    # No reload: the state and the list of what is still needed follow the upload.
    expect(page.locator("#section-state")).to_have_text("Complete")
    expect(page.locator("#section-missing")).to_contain_text("This section is complete.")
    expect(page.locator("#section-missing")).not_to_contain_text("Upload the")
    page.get_by_role("link", name="Back to the checklist").click()
    a1 = checklist_item(page, re.compile("^A1"))
    expect(a1.locator(".badge")).to_have_text("Complete")
    expect(a1).not_to_contain_text("Upload the")


def test_item8_section_state_after_an_upload_without_javascript(new_page, media, tmp_path):  # noqa: F811
    dossier = noloc_dossier()
    page = new_page(java_script_enabled=False)
    sign_in(page, "alice@example.com")
    page.goto(f"/noloc/dossiers/{dossier.pk}/sections/A1/")
    expect(page.locator("#section-state")).to_have_text("Draft")
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    page.locator('input[type="file"]').first.set_input_files(str(cv))
    page.get_by_role("button", name="Upload").first.click()
    expect(page.locator(".evidence-list").first).to_contain_text("cv.pdf")
    expect(page.locator("#section-state")).to_have_text("Complete")
    expect(page.locator("#section-missing")).to_contain_text("This section is complete.")
    page.close()  # axe-core cannot run in a page without JavaScript (the test above checks this page with it)


def test_item8_points_section_states_the_points(new_page):
    dossier = noloc_dossier(points=50)
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto(f"/noloc/dossiers/{dossier.pk}/")
    b = checklist_item(page, re.compile("^B "))
    expect(b.locator(".badge")).to_have_text("50 of 75 PE points; 25 to go")
    b.get_by_role("link").click()
    expect(page.locator("#section-state")).to_have_text("50 of 75 PE points; 25 to go")


def test_item8_points_section_met(new_page):
    dossier = noloc_dossier(points=80)
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto(f"/noloc/dossiers/{dossier.pk}/")
    b = checklist_item(page, re.compile("^B "))
    expect(b.locator(".badge")).to_have_text("Met: 80 of 75 PE points")


def test_item5_peoplecert_submission_in_the_schemes_words(new_page, media, mailoutbox):  # noqa: F811
    """Item 5 (wording): PeopleCert's yearly submission is named after the scheme's CPD year, not a
    "recertification dossier": on the dashboard card, the start button, the dossier and submit pages, the
    snapshot behind the PDF and the confirmation e-mail."""
    from dossiers.models import Submission

    with maintenance():
        peoplecert = factories.organisation(slug="peoplecert", name="PeopleCert")
        per = factories.member(peoplecert, "per@example.com", "professional", first_name="Per")
        factories.certification(peoplecert, per, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30),
                                product_series="itil-4", membership_valid_until=dt.date(2030, 1, 1))
        factories.activity(peoplecert, per, "podcasts-webinars", dt.date(2026, 6, 10), 15)
        factories.activity(peoplecert, per, "mentoring", dt.date(2026, 9, 1), 6)
    title = "Record for the CPD year to 30 April 2027"
    page = new_page()
    sign_in(page, "per@example.com")
    page.goto("/peoplecert/")
    card = page.locator(".certification-card").first
    expect(card.locator(".submission-title")).to_contain_text(title)
    page.goto("/peoplecert/dossiers/")
    page.get_by_role("button", name=re.compile("Start the record for the CPD year to 30 April 2027")).click()
    expect(page).to_have_url(re.compile(r"/peoplecert/dossiers/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("main")).not_to_contain_text("recertification")
    page.goto(page.url + "submit/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Submit: {title}")
    mailoutbox.clear()
    page.get_by_role("button", name="Submit the dossier").click()
    expect(page.locator("main")).to_contain_text("Submitted")
    with maintenance():
        submission = Submission.objects.get(organisation=peoplecert)
        assert submission.snapshot["dossier"]["title"] == title
    assert any(title in message.subject for message in mailoutbox)
    assert any(title in message.body for message in mailoutbox)
    page.goto("/peoplecert/")
    expect(page.locator(".certification-card .submission-title").first).to_contain_text(title)


def test_item5_peoplecert_chooses_the_cpd_year(new_page):
    """Item 5 (the year): the card lists each CPD year with its record; the open ones (the current year, and
    the past years that can still complete a chain of three consecutive years with it) can be started from
    there, a past one included; an older year is closed and says so, a crafted start of it answers 403, a date
    that is no CPD year's end 404."""
    with maintenance():
        peoplecert = factories.organisation(slug="peoplecert", name="PeopleCert")
        per = factories.member(peoplecert, "per@example.com", "professional", first_name="Per")
        certification = factories.certification(
            peoplecert, per, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30), product_series="itil-4",
            membership_valid_until=dt.date(2030, 1, 1))
        factories.activity(peoplecert, per, "mentoring", dt.date(2025, 9, 1), 6)
    page = new_page()
    sign_in(page, "per@example.com")
    page.goto("/peoplecert/")
    years = page.locator(".certification-card .cpd-years .cpd-year")
    expect(years.first).to_contain_text("Record for the CPD year to 30 April 2027")
    expect(years).to_have_count(4)  # the years to 30 April 2027, 2026, 2025 and 2024
    closed = years.filter(has_text="Record for the CPD year to 30 April 2024")
    expect(closed).to_contain_text("Closed: it can no longer count in a chain")
    expect(closed.get_by_role("button")).to_have_count(0)
    for still_open in ("30 April 2026", "30 April 2025"):
        expect(years.filter(has_text=f"Record for the CPD year to {still_open}").get_by_role(
            "button", name=re.compile("Start this record"))).to_have_count(1)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    start = f"/peoplecert/dossiers/start/{certification.pk}/"
    refused = page.request.post(start, form={"kind": "recertification", "year": "2024-04-30"},
                                headers={"X-CSRFToken": token, "Referer": page.url}, max_redirects=0)
    assert refused.status == 403
    assert "has closed" in refused.text()
    nowhere = page.request.post(start, form={"kind": "recertification", "year": "2026-05-01"},
                                headers={"X-CSRFToken": token, "Referer": page.url}, max_redirects=0)
    assert nowhere.status == 404
    years.first.get_by_role("button", name=re.compile("Start this record")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record for the CPD year to 30 April 2027")
    page.goto("/peoplecert/")
    expect(years.first.get_by_role("link")).to_have_text("Draft")
    # A past year that is still open: its record is started from the card, for that year.
    years.filter(has_text="Record for the CPD year to 30 April 2026").get_by_role(
        "button", name=re.compile("Start this record")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record for the CPD year to 30 April 2026")
    with maintenance():
        assert Dossier.objects.filter(organisation=peoplecert, reference_date=dt.date(2026, 4, 30)).exists()
