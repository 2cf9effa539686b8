"""Review: cases opened by the scheme's settings, allocation, conflicts, declaration, workspace, blindness,
reconciliation, the advice, reminders, and the professional's progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from dossiers import signals
from review import api, services
from review.models import Allocation, Assessment, Relationship, ReviewCase
from schemes import rules
from tests import factories
from tests.review_helpers import CMI, NOLOC, PEOPLECERT, activity, allocations, assessors, case_of, submitted

pytestmark = pytest.mark.django_db


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def cast(org_a, alice, ada):
    """Alice submits; Xena and Yuri assess (Zoe too, busier); Ada coordinates."""
    xena, yuri, zoe = assessors(org_a, "Xena Xavier", "Yuri Young", "Zoe Zimmer")
    return {"xena": xena, "yuri": yuri, "zoe": zoe}


def busy(org, person, n=1):
    """Give an assessor n open allocations elsewhere (their load)."""
    for _ in range(n):
        other = factories.member(org, f"cand{Allocation.objects.count()}-{person.pk}@example.com", "professional")
        case = case_of(submitted(org, other, open_case=True))
        with maintenance():
            Allocation.objects.filter(case=case).delete()
            ReviewCase.objects.filter(pk=case.pk).update(state=ReviewCase.State.OPEN)
        services.allocate(case=case, assessor=person, by=None)


def judge(allocation, verdicts, comment="", disallow=()):
    sections = {code: {"judgement": value, "comment": comment or (f"because {value}" if value != "meets" else "")}
                for code, value in verdicts.items()}
    services.assessment_save(allocation=allocation, by=allocation.assessor, sections=sections,
                             activities={str(pk): {"disallowed": True, "reason": "no evidence"} for pk in disallow},
                             notes="private note")
    return services.assessment_submit(allocation=allocation, by=allocation.assessor)


ALL_MEET = {"scope": "meets", "competence": "meets", "supervisor-statement": "meets"}


def declared(case):
    live = [a for a in allocations(case) if a.status == "pending"]
    for allocation in live:
        services.declare(allocation=allocation, by=allocation.assessor, conflict=False)
    return [a for a in allocations(case) if a.status == "active"]


# --- Opening ------------------------------------------------------------------------------------------

def test_cmi_submission_is_allocated_to_the_two_least_loaded_assessors(org_a, alice, cast, mailoutbox,
                                                                      django_capture_on_commit_callbacks):
    busy(org_a, cast["zoe"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = case_of(submitted(org_a, alice))
    assert case.assessors_required == 2
    assert case.state == ReviewCase.State.IN_REVIEW
    assert {a.assessor for a in allocations(case)} == {cast["xena"], cast["yuri"]}
    assert all(a.due_on == rules.working_days_after(a.allocated_at.date(), 15) for a in allocations(case))
    to = sorted(m.to[0] for m in mailoutbox)
    assert to == sorted(["alice@example.com", cast["xena"].email, cast["yuri"].email])
    allocated = next(m for m in mailoutbox if m.to == [cast["xena"].email])
    assert "Alice" in allocated.body
    assert "Yuri" not in allocated.body


def test_the_submit_hook_opens_the_case_and_holds_wait_until_released(org_a, alice, cast):
    rule = signals.review_hold(lambda submission: "not paid yet")
    try:
        submission = submitted(org_a, alice, NOLOC, open_case=False)
        with maintenance():
            signals.submission_submitted.send(sender=type(submission), submission=submission)
        case = case_of(submission)
        assert case.state == ReviewCase.State.HELD
        assert allocations(case) == []
        signals.submission_hold_released.send(sender=None, submission=submission)
        assert case_of(submission).state == ReviewCase.State.HELD  # the hold is still in force
    finally:
        signals._review_holds.remove(rule)
    with maintenance():
        signals.submission_hold_released.send(sender=None, submission=submission)
    assert case_of(submission).state == ReviewCase.State.IN_REVIEW
    assert len(allocations(case)) == 1


def seed_with_draw(predicate):
    return next(f"seed-{n}" for n in range(10_000) if predicate(rules.sample_draw(f"seed-{n}")))


def test_peoplecert_sample_accepts_an_unsampled_repeat_submission_on_the_rules(org_a, alice, cast):
    certification = factories.certification(org_a, alice, PEOPLECERT)
    hours = [activity(1, "attending-events", dt.date(2025, 10, 1), "20")]
    first = submitted(org_a, alice, PEOPLECERT, activities=hours, certification=certification,
                      when=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    assert case_of(first).selection_reasons[0] == "first_submission"  # a first submission is always assessed
    low, high = seed_with_draw(lambda d: d < 1000), seed_with_draw(lambda d: d >= 1000)
    repeat = submitted(org_a, alice, PEOPLECERT, activities=hours, certification=certification, digest=high)
    case = case_of(repeat)
    assert case.state == ReviewCase.State.ACCEPTED_ON_RULES
    assert case.selection_reasons == []
    assert case.selection_draw == rules.sample_draw(high)
    assert allocations(case) == []
    assert api.accepted_on_rules(repeat)
    sampled = case_of(submitted(org_a, alice, PEOPLECERT, activities=hours, certification=certification, digest=low))
    assert sampled.selection_reasons == ["drawn"]
    assert sampled.state == ReviewCase.State.IN_REVIEW
    with maintenance():
        assert AuditEvent.objects.filter(organisation=org_a, action="review.accepted_on_rules").count() == 1


# --- Conflicts ----------------------------------------------------------------------------------------

def blank_case(org, owner, **kwargs):
    with maintenance():
        from django.conf import settings as django_settings
        auto = django_settings.REVIEW_AUTO_ALLOCATE
        django_settings.REVIEW_AUTO_ALLOCATE = False
        try:
            return case_of(submitted(org, owner, **kwargs))
        finally:
            django_settings.REVIEW_AUTO_ALLOCATE = auto


def test_each_automatic_conflict_blocks_allocation(org_a, alice, ada, cast):
    sam = factories.member(org_a, "sam@example.com", "assessor", first_name="Sam", last_name="Supervisor")
    mentor = factories.member(org_a, "mona@example.com", "assessor", first_name="Mona", last_name="Mentor")
    case = blank_case(org_a, alice, statements=[
        {"id": 1, "section": "supervisor-statement", "requirement": "supervisor-statement", "signer_name": "Sam X",
         "signer_email": "sam@example.com", "signer_role": "Supervisor", "state": "signed", "signed_name": "Sam X",
         "fields": [{"code": "supervisor-name", "label": "Supervisor", "type": "text", "value": "Mona Mentor"}]}])
    factories.member(org_a, alice.email, "assessor")  # Alice assesses too, but never herself
    with maintenance():
        Relationship.objects.create(organisation=org_a, assessor=cast["xena"], kind="person", name="Alice Person",
                                    email="alice@example.com")
        Relationship.objects.create(organisation=org_a, assessor=cast["yuri"], kind="employer", name="Acme Careers")
    expected = {alice: "candidate", sam: "signed_statement", mentor: "mentor", cast["xena"]: "relationship",
                cast["yuri"]: "relationship"}
    for person, code in expected.items():
        assert code in services.conflicts_of(case, person)
        with pytest.raises(services.ValidationError) as refused:
            services.allocate(case=case, assessor=person, by=ada)
        assert refused.value.code in ("conflict", "own")
    assert services.conflicts_of(case, cast["zoe"]) == []
    assert services.allocate_automatically(case, by=ada)[0].assessor == cast["zoe"]  # the only one without


def test_a_coordinator_override_needs_a_reason_and_is_audited(org_a, alice, ada, cast):
    case = blank_case(org_a, alice)
    with maintenance():
        Relationship.objects.create(organisation=org_a, assessor=cast["xena"], kind="person", name="Alice Person")
    with pytest.raises(services.ValidationError):
        services.allocate(case=case, assessor=cast["xena"], by=ada, override_reason="  ")
    with pytest.raises(services.ValidationError):  # an assessor cannot override
        services.allocate(case=case, assessor=cast["xena"], by=cast["yuri"], override_reason="fine")
    allocation = services.allocate(case=case, assessor=cast["xena"], by=ada, override_reason="Met once, years ago")
    assert allocation.override_reason == "Met once, years ago"
    with maintenance():
        event = AuditEvent.objects.get(organisation=org_a, action="review.override")
    assert event.actor == ada
    assert event.data["reason"] == "Met once, years ago"
    assert event.data["conflicts"] == ["relationship"]
    with pytest.raises(services.ValidationError):
        services.allocate(case=case, assessor=alice, by=ada, override_reason="please")  # never oneself


def test_the_coordinator_page_overrides_with_a_reason(client, org_a, alice, ada, cast):
    case = blank_case(org_a, alice)
    with maintenance():
        Relationship.objects.create(organisation=org_a, assessor=cast["xena"], kind="person", name="Alice Person")
    client.force_login(ada)
    page = client.post(url("review_coordinate", org_a, pk=case.pk), {"action": "allocate",
                                                                    "assessor": cast["xena"].pk}, follow=True)
    assert "A coordinator may override this with a reason" in page.content.decode()
    client.post(url("review_coordinate", org_a, pk=case.pk), {"action": "allocate", "assessor": cast["xena"].pk,
                                                             "override_reason": "Distant"})
    assert [a.assessor for a in allocations(case)] == [cast["xena"]]


# --- Declaration, access and isolation ----------------------------------------------------------------

def evidence_for(org, owner):
    from django.core.files.base import ContentFile

    from dossiers.models import Evidence

    with maintenance():
        item = Evidence(organisation=org, owner=owner, original_name="certificate.pdf",
                        content_type="application/pdf", size=9, sha256="0" * 64)
        item.file.save("x", ContentFile(b"%PDF-1.4\n"), save=False)
        item.save()
    return item


def test_before_declaring_an_assessor_sees_only_the_name(client, org_a, alice, cast):
    item = evidence_for(org_a, alice)
    case = case_of(submitted(org_a, alice, evidence=[item]))
    mine = allocations(case)[0]
    client.force_login(mine.assessor)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "Alice Person" in page
    assert "I coached 40 clients" not in page
    assert "certificate.pdf" not in page
    assert client.get(url("review_evidence", org_a, pk=case.pk, evidence=item.pk)).status_code == 404
    client.post(url("review_declare", org_a, pk=mine.pk), {"declaration": "none"})
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "I coached 40 clients" in page
    assert client.get(url("review_evidence", org_a, pk=case.pk, evidence=item.pk)).status_code == 200


def test_declaring_a_conflict_returns_the_case_and_tells_the_coordinator(client, org_a, alice, ada, cast, mailoutbox,
                                                                        django_capture_on_commit_callbacks):
    case = case_of(submitted(org_a, alice))
    mine = allocations(case)[0]
    client.force_login(mine.assessor)
    assert client.post(url("review_declare", org_a, pk=mine.pk), {"declaration": "conflict"}).status_code == 302
    assert allocations(case)[0].status == "pending"  # a conflict needs a description
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("review_declare", org_a, pk=mine.pk), {"declaration": "conflict", "reason": "My neighbour"})
    assert allocations(case)[0].status == "conflict"
    assert [m.to for m in mailoutbox] == [[ada.email]]
    assert "My neighbour" in mailoutbox[0].body
    assert client.get(url("review_case", org_a, pk=case.pk)).status_code == 404


def test_unallocated_and_replaced_assessors_get_404_at_once(client, org_a, alice, ada, cast, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    item = evidence_for(org_a, alice)
    submission = submitted(org_a, alice, evidence=[item])
    case = case_of(submission)
    first, second = declared(case)
    outsider = factories.member(org_a, cast["zoe"].email, "professional")  # also a professional: pages open to them
    factories.certification(org_a, outsider)
    client.force_login(outsider)
    for name, kwargs in [("review_case", {"pk": case.pk}), ("review_evidence", {"pk": case.pk, "evidence": item.pk}),
                         ("review_dossier_pdf", {"pk": case.pk}), ("dossier_detail", {"pk": submission.dossier_id})]:
        assert client.get(url(name, org_a, **kwargs)).status_code == 404, name
    assert client.post(url("review_save", org_a, pk=first.pk)).status_code == 404
    client.force_login(first.assessor)
    assert client.get(url("review_evidence", org_a, pk=case.pk, evidence=item.pk)).status_code == 200
    assert client.get(url("dossier_detail", org_a, pk=submission.dossier_id)).status_code == 403  # live data: never
    services.replace(allocation=first, by=ada, reason="Ill", successor=outsider)
    for name, kwargs in [("review_case", {"pk": case.pk}), ("review_evidence", {"pk": case.pk, "evidence": item.pk})]:
        assert client.get(url(name, org_a, **kwargs)).status_code == 404, name
    assert client.post(url("review_save", org_a, pk=first.pk)).status_code == 404
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.overdue_scan(today=first.due_on)
    assert first.assessor.email not in [m.to[0] for m in mailoutbox]
    assert second.assessor.email in [m.to[0] for m in mailoutbox]


def test_another_organisations_assessor_gets_404(client, org_a, org_b, alice, cast):
    case = case_of(submitted(org_a, alice))
    stranger = factories.member(org_b, "sven@example.com", "assessor", "admin")
    client.force_login(stranger)
    assert client.get(url("review_case", org_a, pk=case.pk)).status_code == 404
    assert client.get(url("review_case", org_b, pk=case.pk)).status_code == 404


# --- Workspace ------------------------------------------------------------------------------------------

def peoplecert_case(org, owner):
    hours = [activity(1, "mentoring", dt.date(2026, 1, 10), "12"),
             activity(2, "attending-events", dt.date(2026, 2, 10), "10")]
    certification = factories.certification(org, owner, PEOPLECERT, exam_passed_on=dt.date(2025, 4, 30))
    first = submitted(org, owner, PEOPLECERT, activities=hours, certification=certification,
                      when=dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC))
    return case_of(first)


def test_disallowing_an_activity_recomputes_the_points_with_the_engine(client, org_a, alice, cast):
    case = peoplecert_case(org_a, alice)
    mine = declared(case)[0]
    assert services.workspace.recompute(case).compliant
    client.force_login(mine.assessor)
    page = client.post(url("review_recompute", org_a, pk=mine.pk), {"disallow-2": "on"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert "Counted: 12 of 20 required." in page
    assert "Does not meet the points requirements." in page
    assert "(1 activity disallowed)" in page
    why = services.workspace.recompute(case, {2}).problems  # the engine says why
    assert why == ["Add 8 more points that count by 30 April 2026: the CPD year needs 20 and has 12."]
    assert why[0] in page


def test_drafts_autosave_submit_checks_and_then_stay_read_only(client, org_a, alice, ada, cast):
    case = case_of(submitted(org_a, alice))
    mine = declared(case)[0]
    client.force_login(mine.assessor)
    saved = client.post(url("review_save", org_a, pk=mine.pk), {"judgement-scope": "meets", "notes": "mine only"},
                        HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    assert "Draft saved at" in saved.content.decode()
    with maintenance():
        assessment = Assessment.objects.get(allocation=mine)
    assert assessment.sections["scope"]["judgement"] == "meets"
    assert assessment.notes == "mine only"
    page = client.post(url("review_save", org_a, pk=mine.pk), {"judgement-scope": "meets", "submit": "1",
                                                               "judgement-competence": "not_met"}, follow=True)
    body = page.content.decode()
    assert "Explain your judgement on Competence in a comment." in body
    assert "Give a judgement on Supervisor statement." in body
    client.post(url("review_save", org_a, pk=mine.pk), {f"judgement-{code}": "meets" for code in ALL_MEET} | {
        "submit": "1"})
    assert allocations(case)[0].status == "submitted"
    late = client.post(url("review_save", org_a, pk=mine.pk), {"judgement-scope": "not_met"}, HTTP_HX_REQUEST="true")
    assert late.status_code == 409
    client.force_login(ada)
    client.post(url("review_coordinate", org_a, pk=case.pk), {"action": "withdraw", "allocation": mine.pk})
    assert allocations(case)[0].status == "submitted"  # no reason, nothing done
    client.post(url("review_coordinate", org_a, pk=case.pk), {"action": "withdraw", "allocation": mine.pk,
                                                             "reason": "Sections swapped"})
    assert allocations(case)[0].status == "active"
    with maintenance():
        assert AuditEvent.objects.filter(action="review.withdraw", data__reason="Sections swapped").exists()
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "mine only" not in page  # private notes stay private, even from the coordinator


def test_decline_with_a_reason_goes_back_to_the_queue(client, org_a, alice, ada, cast):
    case = case_of(submitted(org_a, alice))
    mine = allocations(case)[0]
    client.force_login(mine.assessor)
    client.post(url("review_decline", org_a, pk=mine.pk), {"reason": ""})
    assert allocations(case)[0].status == "pending"
    client.post(url("review_decline", org_a, pk=mine.pk), {"reason": "On leave"})
    assert allocations(case)[0].status == "declined"
    assert allocations(case)[0].end_reason == "On leave"
    client.force_login(ada)
    client.post(url("review_coordinate", org_a, pk=case.pk), {"action": "auto"})
    live = [a.assessor for a in allocations(case) if a.status == "pending"]
    assert mine.assessor not in live
    assert len(live) == 2


# --- Blindness and reconciliation --------------------------------------------------------------------

def test_nothing_shows_the_other_assessor_before_all_are_in(client, org_a, alice, ada, cast, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    case = case_of(submitted(org_a, alice))
    first, second = declared(case)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        judge(first, {**ALL_MEET, "competence": "not_met"}, comment="SECRET-VERDICT")
    other_name = first.assessor.last_name
    client.force_login(second.assessor)
    seen = [
        client.get(url("review_case", org_a, pk=case.pk)),
        client.get(url("review_my_cases", org_a)),
        client.post(url("review_save", org_a, pk=second.pk), {"judgement-scope": "meets"}, HTTP_HX_REQUEST="true"),
        client.post(url("review_recompute", org_a, pk=second.pk), {}, HTTP_HX_REQUEST="true"),
    ]
    for response in seen:
        body = response.content.decode()
        assert response.status_code == 200
        for leak in ("SECRET-VERDICT", other_name, first.assessor.email, "Assessment submitted"):
            assert leak not in body, (response.request["PATH_INFO"], leak)
    assert client.get(url("review_queue_csv", org_a)).status_code == 403
    assert client.get(url("review_queue", org_a)).status_code == 403
    assert all(m.to != [second.assessor.email] for m in mailoutbox)
    with maintenance():
        trail = list(AuditEvent.objects.filter(organisation=org_a, action__startswith="review."))
    assert all("not_met" not in str(event.data) and "SECRET" not in str(event.data) for event in trail)
    with django_capture_on_commit_callbacks(execute=True):
        judge(second, ALL_MEET)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "SECRET-VERDICT" in page
    assert other_name in page


def test_disagreement_is_reconciled_by_discussion_then_a_positive_advice(client, org_a, alice, cast, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    case = case_of(submitted(org_a, alice))
    first, second = declared(case)
    judge(first, {**ALL_MEET, "competence": "more_information"})
    judge(second, ALL_MEET)
    case = case_of(case.submission)
    assert case.state == ReviewCase.State.RECONCILING
    rows = {row["code"]: row["agree"] for row in services.comparison(case)}
    assert rows == {"scope": True, "competence": False, "supervisor-statement": True}
    client.force_login(first.assessor)
    client.post(url("review_reconcile", org_a, pk=case.pk), {"action": "message", "body": "The report suffices."})
    client.post(url("review_reconcile", org_a, pk=case.pk), {"action": "revise", "code": "competence",
                                                            "judgement": "meets"})
    assert case_of(case.submission).state == ReviewCase.State.ADVISING
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("review_reconcile", org_a, pk=case.pk), {"action": "advice", "outcome": "positive",
                                                                "summary": "Meets every requirement."})
    case = case_of(case.submission)
    assert case.state == ReviewCase.State.ADVICE_GIVEN
    advice = api.advice_of(case.submission)
    assert advice is not None
    assert advice.outcome == "positive"
    assert {a["name"] for a in advice.assessors} == {
        first.assessor.get_full_name(), second.assessor.get_full_name()}
    assert [s["judgement"] for s in advice.sections] == ["meets"] * 3
    assert [a.case_id for a in api.cases_awaiting_decision(org_a)] == [case.pk]
    assert api.people_involved(case.pk, org_a) == {alice.pk, first.assessor_id, second.assessor_id}
    assert [m.to for m in mailoutbox] == [[alice.email]]
    with pytest.raises(services.ValidationError):  # frozen: it cannot be sent twice
        services.advice_send(case=case, by=first.assessor, outcome="negative", summary="")


def test_still_split_a_third_assessor_decides(client, org_a, alice, ada, cast):
    case = case_of(submitted(org_a, alice))
    first, second = declared(case)
    judge(first, {**ALL_MEET, "scope": "not_met"})
    judge(second, ALL_MEET)
    services.escalate(case=case_of(case.submission), by=ada, decider=cast["zoe"])
    third = next(a for a in allocations(case) if a.role == "decider")
    services.declare(allocation=third, by=cast["zoe"], conflict=False)
    client.force_login(cast["zoe"])
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert "Decide the sections the assessors disagree on" in page
    client.post(url("review_reconcile", org_a, pk=case.pk), {"action": "decide", "decide-scope": "meets"})
    case = case_of(case.submission)
    assert case.state == ReviewCase.State.ADVISING
    assert case.joint == {"scope": "meets"}
    advice = services.advice_send(case=case, by=first.assessor, outcome="positive", summary="")
    assert cast["zoe"].pk in {a["id"] for a in advice.assessors}


def test_a_negative_judgement_cannot_become_a_positive_advice(org_a, alice, cast):
    from django.conf import settings as django_settings

    case = case_of(submitted(org_a, alice))
    first, second = declared(case)
    judge(first, {**ALL_MEET, "scope": "not_met"})
    judge(second, {**ALL_MEET, "scope": "not_met"})
    case = case_of(case.submission)
    assert case.state == ReviewCase.State.ADVISING
    assert django_settings.REVIEW_COORDINATOR_ROLES == ["admin"]
    with pytest.raises(services.ValidationError):
        services.advice_send(case=case, by=first.assessor, outcome="positive", summary="")
    services.advice_send(case=case, by=first.assessor, outcome="negative", summary="Scope unclear")


# --- Reminders, overdue ---------------------------------------------------------------------------------

def test_reminders_before_and_after_then_back_to_the_queue(org_a, alice, ada, cast, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    case = case_of(submitted(org_a, alice))
    first = allocations(case)[0]
    due = first.due_on

    def scan(day):
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            counts = services.overdue_scan(today=day)
        return counts, sorted(m.to[0] for m in mailoutbox)

    assert scan(due - dt.timedelta(days=4))[0] == {"before": 0, "after": 0, "returned": 0}
    counts, to = scan(due - dt.timedelta(days=3))
    assert counts["before"] == 2
    assert first.assessor.email in to
    assert scan(due - dt.timedelta(days=2))[0]["before"] == 0  # once
    counts, _to = scan(due + dt.timedelta(days=2))
    assert counts["after"] == 2
    counts, to = scan(due + dt.timedelta(days=3))
    assert counts["returned"] == 2
    assert ada.email in to
    assert {a.status for a in allocations(case)} == {"overdue"}
    assert case_of(case.submission).state == ReviewCase.State.OPEN


# --- The professional ---------------------------------------------------------------------------------

def test_the_professional_follows_the_steps_on_the_dossier_page(client, org_a, alice, cast):
    submission = submitted(org_a, alice)
    client.force_login(alice)
    page = client.get(url("dossier_detail", org_a, pk=submission.dossier_id)).content.decode()
    assert 'data-step="submitted"' in page
    assert 'data-step="in_review"' in page
    assert "Advice given" in page
    assert "Xena" not in page
    assert "Yuri" not in page


def test_mail_to_the_professional_is_in_their_language(org_a, cast, mailoutbox, django_capture_on_commit_callbacks):
    nora = factories.member(org_a, "nora@example.com", "professional", first_name="Nora", preferred_language="nl")
    with django_capture_on_commit_callbacks(execute=True):
        submitted(org_a, nora)
    mail = next(m for m in mailoutbox if m.to == ["nora@example.com"])
    assert "beoordeling" in mail.subject.lower() or "beoordeel" in mail.body.lower()


# --- Queue ----------------------------------------------------------------------------------------------

def test_queue_filters_sorts_and_pages_by_key(client, org_a, alice, ada, cast, settings):
    settings.REVIEW_AUTO_ALLOCATE = False
    people = [factories.member(org_a, f"p{n}@example.com", "professional", first_name=f"P{n:02}") for n in range(30)]
    for person in people:
        submitted(org_a, person)
    client.force_login(ada)
    first = client.get(url("review_queue", org_a))
    body = first.content.decode()
    assert body.count('data-testid="queue-row"') == 25
    assert "P00" in body
    assert "P29" not in body
    following = client.get(url("review_queue", org_a) + "?" + first.context["filters"]["next"]).content.decode()
    assert following.count('data-testid="queue-row"') == 5
    assert "P29" in following
    newest = client.get(url("review_queue", org_a), {"sort": "-opened"}).content.decode()
    assert newest.index("P29") < newest.index("P20")
    assert client.get(url("review_queue", org_a), {"q": "P07"}).content.decode().count('data-testid="queue-row"') == 1
    csv = client.get(url("review_queue_csv", org_a), {"q": "P07"}).content.decode()
    assert "P07" in csv
    assert "P08" not in csv


def add_cases(org, n, start=0):
    """n submitted dossiers of n professionals (created in bulk, without password hashing)."""
    from accounts.models import Membership, User

    with maintenance():
        people = User.objects.bulk_create([User(email=f"bulk{start + i}@example.com", first_name="Bulk",
                                                last_name=f"{start + i:03}", password="!") for i in range(n)])
        Membership.objects.bulk_create([Membership(organisation=org, user=person, is_professional=True)
                                        for person in people])
    return [case_of(submitted(org, person)) for person in people]


def queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_queue_and_workspace_keep_a_constant_query_count_from_1_to_200_cases(client, org_a, ada, cast, settings):
    settings.REVIEW_AUTO_ALLOCATE = False
    made = add_cases(org_a, 1)
    mine = services.allocate(case=made[0], assessor=cast["xena"], by=ada)
    services.declare(allocation=mine, by=cast["xena"], conflict=False)
    client.force_login(ada)
    queue = url("review_queue", org_a)
    workspace = url("review_case", org_a, pk=made[0].pk)
    few: tuple[Any, ...] = (queries(client, queue), queries(client, workspace))
    client.force_login(cast["xena"])
    few += (queries(client, workspace), queries(client, url("review_my_cases", org_a)))
    more = add_cases(org_a, 199, start=1)
    for case in more[:30]:
        services.allocate(case=case, assessor=cast["yuri"], by=ada)
    services.allocate(case=more[-1], assessor=cast["xena"], by=ada)
    client.force_login(ada)
    many: tuple[Any, ...] = (queries(client, queue), queries(client, workspace))
    client.force_login(cast["xena"])
    many += (queries(client, workspace), queries(client, url("review_my_cases", org_a)))
    assert few == many
    assert max(many) <= 25


# --- Relationships ----------------------------------------------------------------------------------------

def test_assessors_keep_their_list_of_relationships(client, org_a, cast):
    client.force_login(cast["xena"])
    assert client.post(url("review_relationships", org_a), {"kind": "employer", "name": ""}).status_code == 422
    client.post(url("review_relationships", org_a), {"kind": "employer", "name": "Acme Careers"})
    with maintenance():
        relation = Relationship.objects.get(assessor=cast["xena"])
    assert relation.name == "Acme Careers"
    client.force_login(cast["yuri"])
    assert client.post(url("review_relationship_delete", org_a, pk=relation.pk)).status_code == 404
    client.force_login(cast["xena"])
    client.post(url("review_relationship_delete", org_a, pk=relation.pk))
    with maintenance():
        assert not Relationship.objects.filter(assessor=cast["xena"]).exists()


def test_the_scheme_editor_shows_the_review_settings():
    from schemes.editor import editable_groups

    fields = {f.path: f for g in editable_groups(rules.shipped_definitions()[PEOPLECERT]) for f in g.fields}
    assert fields["review.sample.percent"].value == 10
    assert fields["review.due_working_days"].value == 10
    assert fields["review.disagreement"].kind == "choice"
    cmi = {f.path: f for g in editable_groups(rules.shipped_definitions()[CMI]) for f in g.fields}
    assert cmi["review.due_working_days"].value == 15
