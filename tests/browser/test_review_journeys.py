"""Review journeys in a real browser.

- CMI: a submitted recertification dossier is allocated automatically to two assessors; each declares no
  conflict and assesses blind; they disagree on one section, discuss it and reconcile; one sends a positive
  advice; the professional sees "Advice given" on the dossier page.
- PeopleCert: a compliant yearly submission that the sample does not select is accepted on the rules alone
  (the professional sees so); a sampled one waits in the coordinator's queue for its assessor.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from schemes import rules
from tests import factories
from tests.browser.test_certificates_journey import qr_link
from tests.browser.test_professional_journeys import sign_in
from tests.review_helpers import PEOPLECERT, activity, assessors, case_of, submitted

pytestmark = pytest.mark.django_db(transaction=True)


def assess(page, slug, case, verdicts, comment=""):
    page.goto(f"/{slug}/review/mine/")
    page.get_by_role("link", name="Alice Person").click()
    expect(page.get_by_text("I coached 40 clients")).to_have_count(0)  # nothing before the declaration
    page.get_by_label("I have no conflict of interest").check()
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_text("I coached 40 clients.")).to_be_visible()
    for code, verdict in verdicts.items():
        page.locator(f"#judgement-{code}").select_option(verdict)
        if comment and verdict != "meets":
            page.locator(f"#comment-{code}").fill(comment)
    page.get_by_label("Private notes (only you see these)").fill("my own notes")
    expect(page.get_by_role("status").filter(has_text="Draft saved at")).to_be_visible()  # autosaved
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit assessment").click()
    expect(page.get_by_text("Your assessment is submitted.")).to_be_visible()


def test_cmi_two_blind_assessors_disagree_reconcile_and_advise_then_the_certifying_body_decides(new_page, tmp_path):
    with maintenance():
        cmi = factories.organisation(slug="cmi", name="CMI")
        alice = factories.member(cmi, "alice@example.com", "professional", first_name="Alice")
        factories.member(cmi, "ada@example.com", "admin", first_name="Ada")
    xena, yuri = assessors(cmi, "Xena Xavier", "Yuri Young")
    submission = submitted(cmi, alice)
    case = case_of(submission)
    meets = {"scope": "meets", "competence": "meets", "supervisor-statement": "meets"}

    first = new_page()
    sign_in(first, xena.email)
    assess(first, "cmi", case, {**meets, "competence": "more_information"}, comment="Which clients?")
    expect(first.get_by_text("The assessments side by side")).to_have_count(0)  # blind until both are in

    second = new_page()
    sign_in(second, yuri.email)
    assess(second, "cmi", case, meets)
    table = second.get_by_test_id("comparison")
    expect(table.locator("tr[data-code='competence']")).to_contain_text("differ")
    expect(table).to_contain_text("Xena Xavier")  # names show once all are in
    expect(table).to_contain_text("Which clients?")
    second.get_by_label("Message to the other assessors").fill("The report names forty clients.")
    second.get_by_role("button", name="Post").click()

    first.goto(f"/cmi/review/cases/{case.pk}/")
    expect(first.get_by_test_id("thread")).to_contain_text("The report names forty clients.")
    first.get_by_label("Your judgement after the discussion").select_option("meets")
    first.get_by_role("button", name="Revise").click()
    form = first.get_by_test_id("advice-form")
    form.get_by_label("Positive").check()
    form.get_by_label("Summary").fill("Meets every requirement of the scheme.")
    first.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Send the advice").click()
    advice = first.get_by_test_id("advice")
    expect(advice).to_contain_text("Advice: Positive")
    expect(advice).to_contain_text("Yuri Young")

    professional = new_page()
    sign_in(professional, alice.email)
    professional.goto(f"/cmi/dossiers/{submission.dossier_id}/")
    steps = professional.get_by_test_id("review-progress")
    expect(steps.locator("[data-step='advice_given']")).not_to_contain_text("not yet")
    expect(steps).not_to_contain_text("Xena")

    # The certifying body (DNV GL for CMI) decides on the review's own advice: the decision maker, who took no part
    # in the review, grants; the certificate PDF carries a QR code whose link verifies for anyone.
    with maintenance():
        factories.member(cmi, "dana@example.com", "decision_maker", first_name="Dana", last_name="Decider")
    decider = new_page()
    sign_in(decider, "dana@example.com")
    decider.goto("/cmi/decisions/")
    decider.get_by_role("link", name=re.compile("Alice")).first.click()
    expect(decider.get_by_text("Meets every requirement of the scheme.")).to_be_visible()
    expect(decider.locator("main")).to_contain_text("Xena Xavier")
    decider.get_by_label("Granted").check()
    decider.get_by_label("Reasons").fill("The assessors' advice is well founded.")
    decider.get_by_role("button", name="Record the decision").click()
    expect(decider.get_by_text("The decision is recorded")).to_be_visible()
    decider.goto("/cmi/manage/certificates/")
    decider.get_by_role("link", name=re.compile("Alice")).first.click()
    with decider.expect_download() as download:
        decider.get_by_role("link", name="Dutch").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    link = qr_link(pdf)
    visitor = new_page()  # anonymous: a second browser context without cookies
    visitor.goto(link)
    expect(visitor.get_by_role("heading", name=re.compile("This certificate is valid"))).to_be_visible()


def test_peoplecert_unsampled_is_accepted_on_the_rules_and_a_sampled_one_waits(new_page):
    with maintenance():
        pc = factories.organisation(slug="peoplecert", name="PeopleCert")
        alice = factories.member(pc, "alice@example.com", "professional", first_name="Alice")
        factories.member(pc, "ada@example.com", "admin", first_name="Ada")
        bea = factories.member(pc, "bea@example.com", "professional", first_name="Bea", last_name="Sampled")
    assessors(pc, "Xena Xavier")
    hours = [activity(1, "mentoring", dt.date(2026, 1, 10), "12"),
             activity(2, "attending-events", dt.date(2026, 2, 10), "10")]
    high = next(f"s{n}" for n in range(10_000) if rules.sample_draw(f"s{n}") >= 1000)
    low = next(f"s{n}" for n in range(10_000) if rules.sample_draw(f"s{n}") < 1000)
    for person, seed in ((alice, high), (bea, low)):
        certification = factories.certification(pc, person, PEOPLECERT, exam_passed_on=dt.date(2023, 4, 30))
        submitted(pc, person, PEOPLECERT, activities=hours, certification=certification,
                  when=dt.datetime(2025, 4, 1, 9, tzinfo=dt.UTC), digest="earlier-" + seed)  # an earlier year
        latest = submitted(pc, person, PEOPLECERT, activities=hours, certification=certification, digest=seed)
        if person == alice:
            accepted = latest

    page = new_page()
    sign_in(page, alice.email)
    page.goto(f"/peoplecert/dossiers/{accepted.dossier_id}/")
    expect(page.get_by_test_id("review-progress")).to_contain_text(
        "Accepted on the rules (not sampled for assessment)")

    coordinator = new_page()
    sign_in(coordinator, "ada@example.com")
    coordinator.goto("/peoplecert/review/")
    rows = coordinator.get_by_test_id("queue-row")
    expect(rows.filter(has_text="Bea Sampled")).to_have_count(2)  # her first year, and the sampled one
    expect(rows.filter(has_text="Alice Person")).to_have_count(1)  # only her first year: the second was accepted
    expect(rows.filter(has_text="Bea Sampled").first).to_contain_text("Xena Xavier")
