"""Issue 4's journeys in a real browser: a Noloc recertification start to finish, and a PeopleCert yearly
CPD submission. The signer of a statement uses a second browser context and no account."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from dossiers.models import Dossier, StatementRequest
from dossiers.services import statements as statement_services
from portfolios.models import Activity
from tests import factories
from tests.text import first_match

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None}}}


def sign_in(page, email):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def counted_on_dashboard(page, slug):
    page.goto(f"/{slug}/")
    text = page.locator(".certification-card").first.inner_text()
    return int(first_match(r"(\d+) (?:PE|CPD) points counted", text, 1))


def signed_meeting(dossier, number):
    """A reflection-meeting statement signed by a facilitator (the browser signs one more itself)."""
    with maintenance():
        statement = statement_services.statement_request(
            dossier=dossier, section_code="A3.1", requirement_code="reflection-meeting", signer_name="Fay Facil",
            signer_email=f"fay{number}@example.com", by=dossier.owner)
        statement_services.statement_sign(statement=statement, signed_name="Fay Facil", fields={
            "meeting-date": f"2026-0{number}-15", "facilitator-name": "Fay Facil",
            "situation-brought-in": number == 1})


def test_noloc_recertification_start_to_finish(new_page, media, mailoutbox, tmp_path):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice")
        factories.certification(noloc, alice, "noloc-register-jobcoach", recertification_date=dt.date(2027, 3, 1),
                                number="NL-2027")
        factories.activity(noloc, alice, "course", dt.date(2024, 5, 1), 10)
        factories.activity(noloc, alice, "peer-meeting", dt.date(2025, 2, 1), 15)
        factories.activity(noloc, alice, "volunteering", dt.date(2025, 6, 1), 5)
    page = new_page()
    sign_in(page, "alice@example.com")
    assert counted_on_dashboard(page, "noloc") == 50

    # Log a course with its evidence, watching the live preview.
    page.goto("/noloc/activities/new/")
    page.get_by_label("Activity type").select_option("course")
    page.get_by_label("Title").fill("Solution-focused coaching")
    page.get_by_label("Date").fill("2026-03-10")
    page.get_by_label("Study-load hours (SBU)").fill("25")
    expect(page.locator("#activity-preview")).to_contain_text("25 points")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_text("You can now upload its evidence")).to_be_visible()
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF)
    expect(page.locator("form[data-evidence-ready]")).to_have_count(1)  # the upload script is ready
    page.locator('input[type="file"]').set_input_files(str(certificate))
    expect(page.locator(".evidence-list")).to_contain_text("certificate.pdf")

    # A book: the reading sub-cap shows in the preview.
    page.goto("/noloc/activities/new/")
    page.get_by_label("Activity type").select_option("book-read")
    page.get_by_label("Title").fill("Career conversations")
    page.get_by_label("Date").fill("2026-04-01")
    page.get_by_label("Books").fill("2")
    expect(page.locator("#activity-preview")).to_contain_text("4 points")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_text("You can now upload its evidence")).to_be_visible()
    assert counted_on_dashboard(page, "noloc") == 79

    # The dossier.
    page.goto("/noloc/dossiers/")
    page.get_by_role("button", name="Start the recertification dossier").click()
    expect(page).to_have_url(re.compile(r"/noloc/dossiers/\d+/$"))
    dossier_url = page.url
    with maintenance():
        dossier = Dossier.objects.get(organisation=noloc, owner=alice)
        # A1's statement and three of the four meetings were signed earlier (by mail, like the one below).
        signed_meeting(dossier, 1)
        signed_meeting(dossier, 2)
        signed_meeting(dossier, 3)
        a1 = statement_services.statement_request(
            dossier=dossier, section_code="A1", requirement_code="working-as-jobcoach", signer_name="Bo Boss",
            signer_email="bo@example.com", by=alice)
        statement_services.statement_sign(statement=a1, signed_name="Bo Boss", fields={
            "jobcoach-name": "Alice", "organisation": "Noloc member", "role": "Jobcoach", "practising": True,
            "signed-on": "2026-10-01"})
    mailoutbox.clear()

    # A1: the CV.
    page.goto(dossier_url + "sections/A1/")
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF)
    expect(page.locator("form[data-evidence-ready]").first).to_be_attached()
    page.locator('input[type="file"]').first.set_input_files(str(cv))
    expect(page.locator(".evidence-list").first).to_contain_text("cv.pdf")

    # A3.1: ask the facilitator of the fourth meeting to sign.
    page.goto(dossier_url + "sections/A3.1/")
    page.get_by_role("link", name="Ask someone to sign").first.click()
    page.get_by_label("Signer's name").fill("Fred Facilitator")
    page.get_by_label("Signer's e-mail address").fill("fred@example.com")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("fred@example.com")).to_be_visible()

    # The signer opens the e-mailed link in another browser, without an account.
    assert len(mailoutbox) == 1
    link = first_match(r"https?://\S+/noloc/sign/\S+/", mailoutbox[0].body)
    signer = new_page()
    signer.goto(link)
    expect(signer.get_by_role("heading", name="Sign a statement")).to_be_visible()
    signer.get_by_label("Date of the meeting").fill("2026-09-20")
    signer.get_by_label("Name of the facilitator").fill("Fred Facilitator")
    signer.get_by_label("The candidate brought in a meaningful situation").check()
    signer.get_by_label("Your full name, as your signature").fill("Fred Facilitator")
    signer.get_by_label("I confirm that what I filled in above is true and complete.").check()
    signer.get_by_role("button", name="Sign the statement").click()
    expect(signer.get_by_role("heading", name="Thank you")).to_be_visible()
    signer.goto(link)  # the link is single-use
    expect(signer.locator("main")).to_contain_text("already")

    # A2, A3.2 and A4: every question answered; A3.2 and A4 refer to the professional profile.
    for code in ("A2", "A3.2", "A4"):
        page.goto(dossier_url + f"sections/{code}/")
        for box in page.locator("main textarea").all():
            box.fill("A concrete, honest answer about my work as a jobcoach.")
        references = page.get_by_label("Parts of the professional profile this refers to")
        if references.count():
            references.fill("Kerntaak 2: begeleiden")
        page.get_by_role("button", name=re.compile("^Save")).first.click()
        expect(page.locator("main")).to_contain_text("complete")

    # Not yet: the declarations of C are missing, and the page says so.
    page.goto(dossier_url + "submit/")
    expect(page.locator("main")).to_contain_text("cannot be submitted yet")
    expect(page.locator("main")).to_contain_text("C Declaration")
    expect(page.get_by_role("button", name="Submit the dossier")).to_have_count(0)

    page.goto(dossier_url + "sections/C/")
    for box in page.locator("main input[type=checkbox]").all():
        box.check()
    page.get_by_role("button", name=re.compile("^Save")).first.click()

    page.goto(dossier_url + "submit/")
    expect(page.locator("main")).to_contain_text("What will be frozen")
    page.get_by_role("button", name="Submit the dossier").click()
    expect(page.locator("main")).to_contain_text("Submitted")

    # Afterwards the activities it counted are locked.
    with maintenance():
        dossier.refresh_from_db()
        assert dossier.status == "submitted"
        course = Activity.objects.get(organisation=noloc, title="Solution-focused coaching")
        assert course.is_locked
        assert StatementRequest.objects.filter(dossier=dossier, status="signed").count() == 5
    page.goto(f"/noloc/activities/{course.pk}/")
    expect(page.get_by_role("button", name="Save activity")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("submitted")


def test_peoplecert_yearly_submission(new_page, media):
    with maintenance():
        peoplecert = factories.organisation(slug="peoplecert", name="PeopleCert")
        per = factories.member(peoplecert, "per@example.com", "professional", first_name="Per")
        factories.certification(peoplecert, per, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30),
                                product_series="itil-4", membership_valid_until=dt.date(2030, 1, 1))
        factories.activity(peoplecert, per, "podcasts-webinars", dt.date(2026, 6, 10), 15)
    page = new_page()
    sign_in(page, "per@example.com")
    assert counted_on_dashboard(page, "peoplecert") == 15

    page.goto("/peoplecert/activities/new/")
    page.get_by_label("Activity type").select_option("mentoring")
    page.get_by_label("Title").fill("Mentoring a new service desk lead")
    page.get_by_label("Date").fill("2026-09-01")
    page.get_by_label("Hours").fill("6")
    expect(page.locator("#activity-preview")).to_contain_text("6 points")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_text("You can now upload its evidence")).to_be_visible()
    assert counted_on_dashboard(page, "peoplecert") == 21

    page.goto("/peoplecert/dossiers/")
    page.get_by_role("button", name=re.compile("Start")).first.click()
    expect(page).to_have_url(re.compile(r"/peoplecert/dossiers/\d+/$"))
    dossier_url = page.url
    page.goto(dossier_url + "submit/")
    expect(page.locator("main")).to_contain_text("What will be frozen")
    page.get_by_role("button", name="Submit the dossier").click()
    expect(page.locator("main")).to_contain_text("Submitted")
    with maintenance():
        dossier = Dossier.objects.get(organisation=peoplecert, owner=per)
        assert dossier.status == "submitted"
        assert dossier.reference_date == dt.date(2027, 4, 30)
        assert dossier.product_series == "itil-4"
