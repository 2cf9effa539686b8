"""The later lifecycle stages on the professional's card, in a real browser (issue 13 item 1, issue 10 item 8):
a CMI recertification dossier walks in review → advice given → decided → certificate valid until, the card's
one sentence naming each time what comes next (state driven by the services, as the assessors and the decision
maker would); a refusal names the appeal and its link opens the appeal form; a PeopleCert yearly submission the
sample did not select reads "accepted on the rules". Pages are checked by axe-core (tests/browser/conftest.py),
at 390 px too."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from certificates import services as certificate_services
from portfolios import reports
from review import services as review_services
from review.models import ReviewCase
from schemes import rules
from tests import factories
from tests.browser.test_professional_journeys import sign_in
from tests.review_helpers import CMI, PEOPLECERT, activity, assessors, case_of, submitted
from tests.test_review import ALL_MEET, declared, judge

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}}


def people():
    with maintenance():
        org = factories.organisation(slug="cmi", name="CMI")
        alice = factories.member(org, "alice@example.com", "professional", first_name="Alice", last_name="Bakker")
        xena, yuri = assessors(org, "Xena Xavier", "Yuri Young")
        dana = factories.member(org, "dana@example.com", "decision_maker", first_name="Dana")
        certification = factories.certification(org, alice, CMI, number="CMI-77",
                                                recertification_date=dt.date(2027, 6, 1),
                                                expires_on=dt.date(2027, 6, 1), issued_on=dt.date(2024, 6, 1))
    return org, alice, (xena, yuri), dana, certification


def card(page):
    return page.locator(".certification-card").first


def assess_and_advise(case, outcome):
    with maintenance():
        first, second = declared(case)
        judge(first, ALL_MEET)
        judge(second, ALL_MEET)
        review_services.advice_send(case=case_of(case.submission), by=first.assessor, outcome=outcome,
                                    summary="Our advice.")


def decide(org, case, outcome, by):
    with maintenance():
        return certificate_services.decision_record(organisation=org, submission_id=case.submission_id, by=by,
                                                    outcome=outcome, reasons="The reasons of the decision.",
                                                    today=dt.date(2027, 5, 1))


def test_the_card_walks_from_in_review_to_certificate_valid_until(new_page):
    org, alice, (xena, yuri), dana, certification = people()
    with maintenance():
        case = case_of(submitted(org, alice, certification=certification))
        started = reports.day_of(case.review_started_at)
    page = new_page(**PHONE)
    sign_in(page, "alice@example.com")

    page.goto("/cmi/")
    expect(card(page).locator(".next-step")).to_have_text(
        f"In review since {started}; nothing to do now: you hear from us when the advice is in.")
    expect(card(page).locator('[data-stage="in_review"]')).to_have_class(re.compile(r"\bwaiting\b"))
    expect(card(page).locator('[data-stage="submitted"]')).to_have_class(re.compile(r"\bdone\b"))
    expect(card(page).locator(".badge")).to_have_text("Nothing to do now")
    expect(card(page)).not_to_contain_text("Xena")

    assess_and_advise(case, "positive")
    page.reload()
    expect(card(page).locator(".next-step")).to_contain_text("The assessors sent their advice to the certifying body")
    expect(card(page).locator(".next-step")).to_contain_text("it decides next")
    expect(card(page).locator('[data-stage="in_review"]')).to_contain_text("Reviewed from")
    expect(card(page)).not_to_contain_text("ositive")  # the card never says what the advice was

    decision = decide(org, case, "grant", dana)
    page.reload()
    expect(card(page).locator(".next-step")).to_have_text("Certificate valid until 1 June 2030.")
    expect(card(page).locator('[data-stage="decided"]')).to_contain_text(
        f"Granted on {reports.day_of(decision.decided_at)}.")
    expect(card(page).locator('[data-stage="certificate"]')).to_contain_text("valid until 1 June 2030")

    # The dossier page tells the same steps, to the certificate.
    page.goto(f"/cmi/dossiers/{case.submission.dossier_id}/")
    progress = page.get_by_test_id("review-progress")
    expect(progress.locator("[data-step]")).to_have_count(5)
    expect(progress.locator('[data-step="decided"]')).to_contain_text("Decided: granted")
    expect(progress.locator('[data-step="certificate"]')).to_contain_text("Certificate valid until 1 June 2030.")


def test_a_refusal_names_the_appeal_and_links_to_it(new_page):
    org, alice, _assessors, dana, certification = people()
    with maintenance():
        case = case_of(submitted(org, alice, certification=certification))
    assess_and_advise(case, "negative")
    decision = decide(org, case, "refuse", dana)
    with maintenance():
        deadline = rules.appeal_deadline(certificate_services.definition_for(certification),
                                         timezone.localtime(decision.decided_at).date())
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto("/cmi/")
    expect(card(page).locator(".next-step")).to_have_text(
        f"Read the reasons and, if you disagree, appeal before {reports.date(deadline)}.")
    expect(card(page).locator('[data-stage="decided"]')).to_have_class(re.compile(r"\bcurrent\b"))
    card(page).get_by_role("link", name="Appeal against the decision").click()
    expect(page).to_have_url(re.compile(rf"/cmi/certificates/decisions/{decision.pk}/appeal/$"))


def test_peoplecert_yearly_submission_accepted_on_the_rules(new_page):
    with maintenance():
        org = factories.organisation(slug="peoplecert", name="PeopleCert")
        paula = factories.member(org, "paula@example.com", "professional", first_name="Paula")
        assessors(org, "Xena Xavier")
        certification = factories.certification(org, paula, PEOPLECERT, number="PC-9")
        hours = [activity(1, "attending-events", dt.date(2025, 10, 1), "20")]
        submitted(org, paula, PEOPLECERT, activities=hours, certification=certification,
                  when=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
        reference = reports.dossier_reference_date(certification, certification.scheme_version.rules,
                                                   "recertification", timezone.localdate())
        high = next(f"seed-{n}" for n in range(10_000) if rules.sample_draw(f"seed-{n}") >= 1000)
        case = case_of(submitted(org, paula, PEOPLECERT, activities=hours, certification=certification,
                                 digest=high, when=dt.datetime(reference.year, 1, 15, tzinfo=dt.UTC)))
        assert case.state == ReviewCase.State.ACCEPTED_ON_RULES
    page = new_page(**PHONE)
    sign_in(page, "paula@example.com")
    page.goto("/peoplecert/")
    stage = card(page).locator('[data-stage="accepted"]')
    expect(stage).to_contain_text("Accepted on the rules")
    expect(stage).to_contain_text("not selected for an assessor's review")
    expect(stage).to_have_class(re.compile(r"\bdone\b"))


def test_the_home_shows_the_review_work_waiting_to_coordinators_and_decision_makers(new_page, settings):
    org, alice, (xena, yuri), dana, certification = people()
    with maintenance():
        ada = factories.member(org, "ada@example.com", "admin", first_name="Ada")
        waiting_case = case_of(submitted(org, alice, certification=certification))
        bob = factories.member(org, "bob@example.com", "professional", first_name="Bob")
        other = factories.certification(org, bob, CMI, number="CMI-78", recertification_date=dt.date(2027, 6, 1),
                                        expires_on=dt.date(2027, 6, 1))
        advised_case = case_of(submitted(org, bob, certification=other))
        review_services.replace(allocation=waiting_case.allocations.filter(status="pending").first(), by=ada,
                                reason="Away")
    assess_and_advise(advised_case, "positive")
    page = new_page(**PHONE)
    sign_in(page, "ada@example.com")
    page.goto("/cmi/")
    work = page.locator(".waiting-list")
    expect(work.locator('[data-waiting="review_allocation"]')).to_contain_text("1 case waits for an assessor.")
    expect(work.locator('[data-waiting="review_overdue"]')).to_contain_text("No assessment is overdue.")
    expect(work.locator('[data-waiting="review_decision"]')).to_contain_text("1 advised case waits for a decision.")
    work.get_by_role("link", name="Review queue").click()
    expect(page).to_have_url(re.compile(r"/cmi/review/\?state=open$"))

    page = new_page()
    sign_in(page, "dana@example.com")
    page.goto("/cmi/")
    work = page.locator(".waiting-list")
    expect(work.locator("[data-waiting]")).to_have_count(1)
    work.get_by_role("link", name="Decisions to take").click()
    expect(page).to_have_url(re.compile(r"/cmi/decisions/$"))
    expect(page.get_by_text("CMI-78")).to_be_visible()
