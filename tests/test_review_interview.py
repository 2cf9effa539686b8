"""The oral interview of CMI initial certification: scheduling with a committee, the invitation (in the
candidate's language, with a calendar file), rescheduling, the chair's record, the advice that waits for and
carries the outcome, and who may see it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from review import api, interview, services
from review.models import Interview, ReviewCase
from tests import factories
from tests.review_helpers import allocations, assessors, case_of, submitted

pytestmark = pytest.mark.django_db

ALL_MEET = {"scope": "meets", "competence": "meets", "supervisor-statement": "meets"}


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def cast(org_a, alice, ada):
    """Alice submits an initial CMI dossier; Xena and Yuri assess it, Zoe chairs the interview, Ada coordinates."""
    xena, yuri, zoe = assessors(org_a, "Xena Xavier", "Yuri Young", "Zoe Zimmer")
    case = case_of(submitted(org_a, alice, kind="initial"))
    return {"xena": xena, "yuri": yuri, "zoe": zoe, "case": case}


def current(case) -> Any:
    """The case's interview (a test fails on None anyway)."""
    return interview.interview_of(case)


def advice_of(case) -> Any:
    return api.advice_of(case.submission)


def form(when=None, **overrides):
    when = when or timezone.localtime() + dt.timedelta(days=7)
    data = {"date": when.date().isoformat(), "time": "14:00", "duration_minutes": "60", "place": "Utrecht, room 4",
            "video_link": "", "assessor": "", "chair": ""}
    data.update(overrides)
    return {f"schedule-{key}": value for key, value in data.items()}


def schedule(client, org, case, **overrides):
    return client.post(url("review_interview_schedule", org, pk=case.pk), form(**overrides))


def scheduled(cast, ada, **changes):
    found = interview.schedule(case=cast["case"], by=ada, starts_at=timezone.now() + dt.timedelta(days=3),
                               duration_minutes=60, place="Utrecht", video_link="", assessor=cast["xena"],
                               chair=cast["zoe"])
    if changes:
        with maintenance():
            Interview.objects.filter(pk=found.pk).update(**changes)
            found.refresh_from_db()
    return found


def in_the_past(found):
    with maintenance():
        Interview.objects.filter(pk=found.pk).update(starts_at=timezone.now() - dt.timedelta(hours=2))
        found.refresh_from_db()
    return found


def judge_all(case):
    for allocation in allocations(case):
        if allocation.status == "pending":
            services.declare(allocation=allocation, by=allocation.assessor, conflict=False)
    sections = {code: {"judgement": value, "comment": ""} for code, value in ALL_MEET.items()}
    for allocation in allocations(case):
        services.assessment_save(allocation=allocation, by=allocation.assessor, sections=sections, activities={},
                                 notes="")
        services.assessment_submit(allocation=allocation, by=allocation.assessor)
    return case_of(case.submission)


def test_only_an_initial_cmi_dossier_has_an_interview(client, org_a, alice, ada, cast):
    assert interview.required(cast["case"])
    recertification = case_of(submitted(org_a, alice))
    assert not interview.required(recertification)
    client.force_login(ada)
    assert client.get(url("review_interview", org_a, pk=recertification.pk)).status_code == 404
    page = client.get(url("review_case", org_a, pk=recertification.pk)).content.decode()
    assert 'data-testid="interview-panel"' not in page
    page = client.get(url("review_case", org_a, pk=cast["case"].pk)).content.decode()
    assert 'data-testid="interview-panel"' in page
    assert "not scheduled yet" in page


def test_the_coordinator_schedules_and_the_candidate_is_invited_in_their_language(
        client, org_a, alice, ada, cast, mailoutbox, django_capture_on_commit_callbacks):
    with maintenance():
        alice.preferred_language = "nl"
        alice.save(update_fields=["preferred_language"])
    dossier_url = reverse("dossier_detail", kwargs={"org": org_a.slug, "pk": cast["case"].submission.dossier_id})
    client.force_login(alice)
    waiting = client.get(dossier_url).content.decode().split('data-step="interview"')[1].split("</li>")[0]
    assert "interview.ics" not in waiting  # required, not scheduled yet
    client.force_login(ada)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = schedule(client, org_a, cast["case"], assessor=cast["xena"].pk, chair=cast["zoe"].pk)
    assert response.status_code == 302
    found = current(cast["case"])
    assert (found.assessor, found.chair, found.place, found.sequence) == (cast["xena"], cast["zoe"],
                                                                           "Utrecht, room 4", 0)
    invitation = next(m for m in mailoutbox if m.to == [alice.email])
    assert "uitnodiging voor je interview" in invitation.subject.lower()
    assert "Utrecht, room 4" in invitation.body
    assert reverse("review_interview_ics", kwargs={"org": org_a.slug, "pk": cast["case"].pk}) in invitation.body
    assert sorted(m.to[0] for m in mailoutbox) == sorted([alice.email, cast["xena"].email, cast["zoe"].email])
    chair_mail = next(m for m in mailoutbox if m.to == [cast["zoe"].email])
    assert "chair" in chair_mail.body
    with maintenance():
        event = AuditEvent.objects.get(organisation=org_a, action="review.interview_schedule")
    assert event.actor == ada
    assert event.data["chair"] == cast["zoe"].email

    client.force_login(alice)
    dossier = client.get(dossier_url)
    step = dossier.content.decode().split('data-step="interview"')[1].split("</li>")[0]
    assert "Utrecht, room 4" in step
    assert "interview.ics" in step
    calendar = client.get(url("review_interview_ics", org_a, pk=cast["case"].pk))
    assert calendar.status_code == 200
    assert calendar["Content-Type"].startswith("text/calendar")
    text = calendar.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert "BEGIN:VEVENT\r\n" in text
    assert f"DTSTART:{found.starts_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}\r\n" in text
    assert "LOCATION:Utrecht\\, room 4\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_scheduling_validates_and_keeps_what_was_typed(client, org_a, alice, ada, cast):
    signer = factories.member(org_a, "sam@example.com", "assessor", first_name="Sam", last_name="Supervisor")
    client.force_login(ada)
    yesterday = timezone.localtime() - dt.timedelta(days=1)
    response = schedule(client, org_a, cast["case"], when=yesterday, place="", video_link="",
                        assessor=cast["xena"].pk, chair=cast["xena"].pk)
    assert response.status_code == 422
    page = response.content.decode()
    assert "Choose a date and time that is still to come." in page
    assert "Give a place or a video link." in page
    assert "The chair must be someone other than the assessor." in page
    assert yesterday.date().isoformat() in page  # what was typed is kept
    response = schedule(client, org_a, cast["case"], assessor=signer.pk, chair=cast["zoe"].pk,
                        place="", video_link="https://meet.example.com/abc")
    assert response.status_code == 422
    assert "cannot sit on this committee" in response.content.decode()
    assert "https://meet.example.com/abc" in response.content.decode()
    response = schedule(client, org_a, cast["case"], assessor=alice.pk, chair=cast["zoe"].pk)
    assert response.status_code == 422  # the candidate is not even a choice
    assert interview.interview_of(cast["case"]) is None
    with pytest.raises(services.ValidationError) as problem:
        interview.schedule(case=cast["case"], by=ada, starts_at=timezone.now() + dt.timedelta(days=1),
                           duration_minutes=60, place="Room", video_link="", assessor=cast["xena"], chair=alice)
    assert "chair" in problem.value.message_dict
    response = schedule(client, org_a, cast["case"], assessor=cast["xena"].pk, chair=ada.pk, place="",
                        video_link="https://meet.example.com/abc")
    assert response.status_code == 302  # a coordinator may chair; a video link instead of a place
    assert current(cast["case"]).video_link == "https://meet.example.com/abc"


def test_rescheduling_tells_everyone_again(client, org_a, alice, ada, cast, mailoutbox,
                                           django_capture_on_commit_callbacks):
    scheduled(cast, ada)
    client.force_login(ada)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = schedule(client, org_a, cast["case"], assessor=cast["yuri"].pk, chair=cast["zoe"].pk,
                            place="Amsterdam")
    assert response.status_code == 302
    found = current(cast["case"])
    assert (found.place, found.assessor, found.sequence) == ("Amsterdam", cast["yuri"], 1)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([alice.email, cast["yuri"].email, cast["zoe"].email])
    assert "moved" in next(m for m in mailoutbox if m.to == [alice.email]).subject
    with maintenance():
        assert AuditEvent.objects.filter(organisation=org_a, action="review.interview_reschedule").count() == 1
    client.force_login(alice)
    assert "SEQUENCE:1\r\n" in client.get(url("review_interview_ics", org_a, pk=cast["case"].pk)).content.decode()


def test_the_chair_records_attendance_minutes_and_outcome(client, org_a, alice, ada, cast):
    found = scheduled(cast, ada)
    client.force_login(cast["zoe"])
    record = url("review_interview_record", org_a, pk=cast["case"].pk)
    early = client.post(record, {"record-attendance": "attended", "record-minutes": "x", "record-outcome": "positive"})
    assert early.status_code == 422
    assert "once it has begun" in early.content.decode()
    in_the_past(found)
    client.force_login(cast["xena"])  # the committee's assessor may see it, but only the chair records
    assert client.get(url("review_interview", org_a, pk=cast["case"].pk)).status_code == 200
    assert client.post(record, {"record-attendance": "attended"}).status_code == 404
    client.force_login(cast["zoe"])
    response = client.post(record, {"record-attendance": "attended", "record-minutes": "",
                                    "record-outcome": "negative", "record-reasons": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Write the minutes of the interview." in page
    assert "Give the reasons for a negative outcome." in page
    response = client.post(record, {"record-attendance": "absent", "record-outcome": "positive"})
    assert "cannot have a positive outcome" in response.content.decode()
    response = client.post(record, {"record-attendance": "attended", "record-minutes": "Talked about ethics.",
                                    "record-outcome": "positive"})
    assert response.status_code == 302
    found.refresh_from_db()
    assert (found.attendance, found.outcome, found.minutes, found.recorded_by) == (
        "attended", "positive", "Talked about ethics.", cast["zoe"])
    with maintenance():
        assert AuditEvent.objects.filter(organisation=org_a, action="review.interview_record",
                                         actor=cast["zoe"]).count() == 1
    with pytest.raises(services.ValidationError):
        interview.record(interview=found, by=cast["zoe"], attendance="attended", minutes="again",
                         outcome="negative", reasons="changed my mind")
    with pytest.raises(services.ValidationError):  # an interview with an outcome is not rescheduled
        scheduled(cast, ada)


def test_an_excused_candidate_has_no_outcome_and_is_scheduled_again(org_a, alice, ada, cast):
    found = in_the_past(scheduled(cast, ada))
    with pytest.raises(services.ValidationError):
        interview.record(interview=found, by=cast["zoe"], attendance="excused", minutes="", outcome="negative",
                         reasons="x")
    interview.record(interview=found, by=cast["zoe"], attendance="excused", minutes="", outcome="", reasons="")
    row: Any = interview.advice_row(cast["case"])
    assert row["judgement"] == ""
    again = scheduled(cast, ada)
    assert (again.attendance, again.outcome, again.recorded_at, again.sequence) == ("", "", None, 1)


def test_the_advice_waits_for_the_interview_and_carries_its_outcome(client, org_a, alice, ada, cast):
    case = judge_all(cast["case"])
    assert case.state == ReviewCase.State.ADVISING
    sender = allocations(case)[0].assessor
    client.force_login(sender)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "the advice waits for it" in page
    with pytest.raises(services.ValidationError) as problem:
        services.advice_send(case=case, by=sender, outcome="positive", summary="")
    assert "no outcome yet" in str(problem.value)
    found = in_the_past(scheduled(cast, ada))
    interview.record(interview=found, by=cast["zoe"], attendance="attended", minutes="Fine.", outcome="positive",
                     reasons="")
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "Oral interview (Attended): Positive" in page
    response = client.post(url("review_reconcile", org_a, pk=case.pk), {"action": "advice", "outcome": "positive",
                                                                       "summary": "All good."})
    assert response.status_code == 302
    advice = advice_of(case)
    assert advice.outcome == "positive"
    assert advice.sections[-1] == {"code": "interview", "label": "Oral interview (Attended): Positive",
                                   "judgement": "meets", "reasons": []}
    seen = api.ADVICE_SOURCE.advice_for(case.submission)
    assert seen.sections[-1].label == "Oral interview (Attended): Positive"
    assert cast["zoe"].pk in api.people_involved(case.pk, org_a)
    assert cast["zoe"].pk in api.ADVICE_SOURCE.involved_for_many([case.submission])[case.submission.pk]


def test_a_negative_interview_allows_only_a_negative_advice(org_a, alice, ada, cast):
    case = judge_all(cast["case"])
    found = in_the_past(scheduled(cast, ada))
    interview.record(interview=found, by=cast["zoe"], attendance="absent", minutes="", outcome="negative",
                     reasons="Did not come.")
    sender = allocations(case)[0].assessor
    assert not services.advice_draft(case)["positive_possible"]
    with pytest.raises(services.ValidationError) as problem:
        services.advice_send(case=case, by=sender, outcome="positive", summary="")
    assert "positive interview" in str(problem.value)
    advice = services.advice_send(case=case, by=sender, outcome="negative", summary="No interview.")
    assert advice.sections[-1]["judgement"] == "not_met"
    assert advice.sections[-1]["reasons"] == ["Did not come."]


def test_only_the_committee_the_coordinator_and_the_candidate_see_it(client, org_a, org_b, alice, ada, cast, charlie):
    found = in_the_past(scheduled(cast, ada))
    interview.record(interview=found, by=cast["zoe"], attendance="attended", minutes="Secret minutes.",
                     outcome="positive", reasons="")
    outsider = assessors(org_a, "Olga Other")[0]
    page_url = url("review_interview", org_a, pk=cast["case"].pk)
    ics_url = url("review_interview_ics", org_a, pk=cast["case"].pk)
    schedule_url = url("review_interview_schedule", org_a, pk=cast["case"].pk)
    client.force_login(outsider)
    for address in (page_url, ics_url):
        assert client.get(address).status_code == 404
    assert client.post(schedule_url, form()).status_code == 404
    factories.member(org_a, charlie.email, "assessor")  # another organisation's member, now also in A as assessor
    client.force_login(charlie)
    assert client.get(page_url).status_code == 404
    client.force_login(alice)
    page = client.get(page_url)
    assert page.status_code == 200
    assert "Secret minutes." not in page.content.decode()
    assert "Zoe" not in page.content.decode()
    assert client.post(schedule_url, form()).status_code == 404
    assert client.get(ics_url).status_code == 200
    for person in (cast["xena"], cast["zoe"], ada):
        client.force_login(person)
        assert "Secret minutes." in client.get(page_url).content.decode()
    # Yuri assesses the case but is not on the committee: he sees the outcome on the case only once all are in.
    client.force_login(cast["yuri"])
    assert client.get(page_url).status_code == 404
    case = judge_all(cast["case"])
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert 'data-testid="interview-outcome"' in page
