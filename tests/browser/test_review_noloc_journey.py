"""The Noloc review journey in a real browser: one assessor declares no conflict and disallows an activity (the
points drop below 75 and the workspace says why, in the engine's words); asks for information on A3.2 and on
that activity's evidence; the candidate, in a second browser context, sees the questions on the dossier page,
changes A3.2 and uploads the activity's evidence (nothing else is open), answers and resubmits; the assessor
sees the redline of version 2 against version 1, revises and sends a positive advice."""

import datetime as dt
import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from dossiers.models import Submission
from review.models import ReviewCase
from tests import factories
from tests.browser.test_professional_journeys import sign_in
from tests.review_helpers import assessors
from tests.test_dossiers import PDF_BYTES, complete_noloc, pe_points, start

pytestmark = pytest.mark.django_db(transaction=True)


def test_noloc_disallow_request_information_resubmit_redline_and_advise(new_page, tmp_path):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice")
    (xena,) = assessors(noloc, "Xena Xavier")
    client = Client()
    client.force_login(alice)
    dossier = start(client, noloc, factories.certification(noloc, alice, recertification_date=dt.date(2025, 12, 1)))
    course, *_others = pe_points(noloc, alice)
    complete_noloc(client, noloc, dossier)
    assert client.post(f"/noloc/dossiers/{dossier.pk}/submit/").status_code == 302
    with maintenance():
        submission = Submission.objects.get(dossier=dossier)
        case = ReviewCase.objects.get(submission=submission)
        codes = [section["code"] for section in submission.snapshot["sections"]]

    # The assessor: no conflict, judgements, the course disallowed — the engine says the points fall short.
    assessor = new_page()
    sign_in(assessor, xena.email)
    assessor.goto("/noloc/review/mine/")
    assessor.get_by_role("link", name="Alice Person").click()
    assessor.get_by_label("I have no conflict of interest").check()
    assessor.get_by_role("button", name="Declare").click()
    points = assessor.get_by_test_id("review-points")
    expect(points).to_contain_text("Meets the points requirements.")
    for code in codes:
        assessor.locator(f"[id='judgement-{code}']").select_option("meets")
    assessor.locator("[id='judgement-A3.2']").select_option("more_information")
    assessor.locator("[id='comment-A3.2']").fill("Relate the situation to the professional profile.")
    assessor.locator(f"#disallow-{course.pk}").check()
    expect(points).to_contain_text("Does not meet the points requirements.")
    found = re.search(r"Counted: ([\d.]+)", points.inner_text())
    assert found is not None
    assert float(found.group(1)) < 75
    expect(points.locator("li").first).to_be_visible()  # the engine's explanation of the shortfall
    assessor.locator(f"#reason-{course.pk}").fill("No certificate of the course.")
    expect(assessor.get_by_role("status").filter(has_text="Draft saved at")).to_be_visible()
    assessor.once("dialog", lambda dialog: dialog.accept())
    assessor.get_by_role("button", name="Submit assessment").click()
    expect(assessor.get_by_text("Your assessment is submitted.")).to_be_visible()

    # The request: A3.2 and the disallowed activity's evidence.
    form = assessor.get_by_test_id("rfi-form")
    form.get_by_label("Question 1 is about").select_option("section:A3.2")
    form.get_by_label("Question 1", exact=True).fill("How does the situation relate to the professional profile?")
    form.get_by_label("Question 2 is about").select_option(f"activity:{course.pk}")
    form.get_by_label("Question 2", exact=True).fill("Upload the certificate of this course.")
    assessor.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Send the questions").click()
    expect(assessor.get_by_text("The questions are sent to the candidate")).to_be_visible()
    expect(assessor.get_by_test_id("rfi-history")).to_contain_text("Upload the certificate of this course.")

    # The candidate, in another browser context.
    candidate = new_page()
    sign_in(candidate, alice.email)
    candidate.goto(f"/noloc/dossiers/{dossier.pk}/")
    panel = candidate.get_by_test_id("rfi-panel")
    expect(panel).to_contain_text("How does the situation relate to the professional profile?")
    expect(candidate.get_by_test_id("review-progress").locator("[data-step='information_requested']")
           ).to_contain_text("Information requested (answer by")
    candidate.goto(f"/noloc/dossiers/{dossier.pk}/sections/A4/")  # not named: read-only
    expect(candidate.get_by_text("read-only")).to_be_visible()
    expect(candidate.get_by_role("button", name="Save")).to_have_count(0)
    candidate.goto(f"/noloc/dossiers/{dossier.pk}/")
    panel.get_by_role("link", name="open the section").click()
    situation = candidate.get_by_label(re.compile("Describe the meaningful situation"))
    situation.fill("A client stuck between two jobs; it touches the professional profile's core task 2.")
    candidate.get_by_role("button", name="Save").click()
    expect(candidate.get_by_text("has been saved")).to_be_visible()
    candidate.goto(f"/noloc/dossiers/{dossier.pk}/")
    panel.get_by_role("link", name="open the activity").click()
    certificate = tmp_path / "course-certificate.pdf"
    certificate.write_bytes(PDF_BYTES)
    expect(candidate.locator("form[data-evidence-ready]")).to_have_count(1)
    candidate.locator('input[type="file"]').set_input_files(str(certificate))
    expect(candidate.locator(".evidence-list")).to_contain_text("course-certificate.pdf")
    candidate.goto(f"/noloc/dossiers/{dossier.pk}/")
    panel.get_by_label("Your answer to question 1").fill("I rewrote the situation around core task 2.")
    panel.get_by_label("Your answer to question 2").fill("The certificate is uploaded.")
    candidate.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Resubmit the dossier").click()
    expect(candidate.get_by_text("Your dossier has been resubmitted.")).to_be_visible()
    expect(candidate.get_by_test_id("rfi-panel")).to_have_count(0)

    # The assessor sees what changed, revises and advises.
    assessor.goto(f"/noloc/review/cases/{case.pk}/")
    changes = assessor.get_by_test_id("redline")
    expect(changes).to_contain_text("What changed from version 1 to version 2")
    a32 = changes.locator("[data-code='A3.2']")
    expect(a32.locator("ins")).to_contain_text("professional profile")
    expect(a32.locator("del").first).to_be_attached()
    expect(changes.get_by_test_id("redline-activities")).to_contain_text("course-certificate.pdf")
    expect(assessor.get_by_test_id("rfi-history")).to_contain_text("The certificate is uploaded.")
    assessor.locator("[id='judgement-A3.2']").select_option("meets")
    assessor.locator(f"#disallow-{course.pk}").uncheck()
    expect(assessor.get_by_test_id("review-points")).to_contain_text("Meets the points requirements.")
    expect(assessor.get_by_role("status").filter(has_text="Draft saved at")).to_be_visible()
    assessor.once("dialog", lambda dialog: dialog.accept())
    assessor.get_by_role("button", name="Submit assessment").click()
    expect(assessor.get_by_text("Your assessment is submitted.")).to_be_visible()
    advice_form = assessor.get_by_test_id("advice-form")
    advice_form.get_by_label("Positive").check()
    advice_form.get_by_label("Summary").fill("After the additional information every requirement is met.")
    assessor.once("dialog", lambda dialog: dialog.accept())
    advice_form.get_by_role("button", name="Send the advice").click()
    expect(assessor.get_by_test_id("advice")).to_contain_text("Advice: Positive")

    candidate.goto(f"/noloc/dossiers/{dossier.pk}/")
    steps = candidate.get_by_test_id("review-progress")
    expect(steps.locator("[data-step='resubmitted']")).to_be_visible()
    expect(steps.locator("[data-step='advice_given']")).not_to_contain_text("not yet")
    expect(steps).not_to_contain_text("Xena")
