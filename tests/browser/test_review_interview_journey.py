"""The oral interview in a real browser (CMI initial certification): the coordinator schedules it with a committee,
the candidate sees it on the dossier page, the advice waits for it, the chair records the outcome, and the advice
sent to the certifying body shows it."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from review import services
from review.models import Interview
from tests import factories
from tests.browser.test_professional_journeys import sign_in
from tests.review_helpers import allocations, assessors, case_of, submitted

pytestmark = pytest.mark.django_db(transaction=True)

MEETS = {"scope": "meets", "competence": "meets", "supervisor-statement": "meets"}


def test_cmi_interview_is_scheduled_seen_recorded_and_part_of_the_advice(new_page):
    with maintenance():
        cmi = factories.organisation(slug="cmi", name="CMI")
        alice = factories.member(cmi, "alice@example.com", "professional", first_name="Alice")
        factories.member(cmi, "ada@example.com", "admin", first_name="Ada")
    xena, _yuri = assessors(cmi, "Xena Xavier", "Yuri Young")
    submission = submitted(cmi, alice, kind="initial")
    case = case_of(submission)
    zoe = assessors(cmi, "Zoe Zimmer")[0]  # after the allocation: she chairs the interview, she does not assess

    coordinator = new_page()
    sign_in(coordinator, "ada@example.com")
    coordinator.goto(f"/cmi/review/cases/{case.pk}/")
    expect(coordinator.get_by_test_id("interview-panel")).to_contain_text("not scheduled yet")
    coordinator.get_by_test_id("interview-panel").get_by_role("link", name="The interview").click()
    day = timezone.localdate() + dt.timedelta(days=10)
    coordinator.get_by_label("Date").fill(day.isoformat())
    coordinator.get_by_label("Time").fill("14:30")
    coordinator.get_by_role("button", name="Schedule and invite").click()
    expect(coordinator.get_by_text("Give a place or a video link.")).to_be_visible()  # the form says why
    expect(coordinator.get_by_label("Date")).to_have_value(day.isoformat())  # and keeps what was typed
    coordinator.get_by_label("Place").fill("CMI office, Utrecht")
    coordinator.locator("#id_schedule-assessor").select_option(label="Xena Xavier")
    coordinator.get_by_label("Chair").select_option(label="Zoe Zimmer")
    coordinator.get_by_role("button", name="Schedule and invite").click()
    expect(coordinator.get_by_text("The interview is scheduled")).to_be_visible()
    expect(coordinator.get_by_test_id("interview")).to_contain_text("CMI office, Utrecht")

    candidate = new_page()
    sign_in(candidate, alice.email)
    candidate.goto(f"/cmi/dossiers/{submission.dossier_id}/")
    step = candidate.get_by_test_id("review-progress").locator("[data-step='interview']")
    expect(step).to_contain_text("CMI office, Utrecht")
    expect(step.get_by_role("link", name="add to calendar")).to_be_visible()
    expect(candidate.get_by_test_id("review-progress")).not_to_contain_text("Zoe")

    # Both assessors agree; the advice waits for the interview.
    sections = {code: {"judgement": verdict, "comment": ""} for code, verdict in MEETS.items()}
    for allocation in allocations(case):
        with maintenance():
            services.declare(allocation=allocation, by=allocation.assessor, conflict=False)
            services.assessment_save(allocation=allocation, by=allocation.assessor, activities={}, notes="",
                                     sections=sections)
            services.assessment_submit(allocation=allocation, by=allocation.assessor)
    assessor = new_page()
    sign_in(assessor, xena.email)
    assessor.goto(f"/cmi/review/cases/{case.pk}/")
    expect(assessor.get_by_test_id("advice-interview")).to_contain_text("the advice waits for it")

    with maintenance():  # the interview took place
        Interview.objects.filter(case=case).update(starts_at=timezone.now() - dt.timedelta(hours=1))
    chair = new_page()
    sign_in(chair, zoe.email)
    chair.goto(f"/cmi/review/cases/{case.pk}/interview/")
    chair.get_by_label("Attended").check()
    chair.get_by_label("Minutes").fill("Discussed two client cases and the ethics code.")
    chair.get_by_label("Positive").check()
    chair.once("dialog", lambda dialog: dialog.accept())
    chair.get_by_role("button", name="Record", exact=True).click()
    expect(chair.get_by_text("The interview is recorded.")).to_be_visible()
    expect(chair.get_by_test_id("interview-record")).to_contain_text("Outcome: Positive")

    assessor.goto(f"/cmi/review/cases/{case.pk}/")
    form = assessor.get_by_test_id("advice-form")
    expect(form.get_by_test_id("advice-interview")).to_contain_text("Oral interview (Attended): Positive")
    form.get_by_label("Positive").check()
    form.get_by_label("Summary").fill("Meets every requirement; a good interview.")
    assessor.once("dialog", lambda dialog: dialog.accept())
    form.get_by_role("button", name="Send the advice").click()
    expect(assessor.get_by_test_id("advice")).to_contain_text("Oral interview (Attended): Positive")

    with maintenance():
        factories.member(cmi, "dana@example.com", "decision_maker", first_name="Dana", last_name="Decider")
    decider = new_page()
    sign_in(decider, "dana@example.com")
    decider.goto("/cmi/decisions/")
    decider.get_by_role("link", name="Alice Person").first.click()
    expect(decider.locator("main")).to_contain_text("Oral interview (Attended): Positive")
