"""Requests for information: only what the assessor names reopens; the candidate answers and resubmits; the
new snapshot version is kept next to the first with both dates; the assessor sees a redline; a statement asked
for again must be signed again; overdue requests show to the coordinator; every step is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest, Submission, SubmissionVersion
from dossiers.services.statements import sign_state, statement_sign
from portfolios import lifecycle
from portfolios.models import Activity
from review import redline, rfi, services, workspace
from review.models import Allocation, InformationRequest, ReviewCase
from tests import factories
from tests.review_helpers import CMI, allocations, assessors, case_of, submitted
from tests.test_dossiers import PDF_BYTES, complete_noloc, noloc, pe_points, questions, save_section, start

pytestmark = pytest.mark.django_db

NEW_REFLECTION = {"situation": "A client stuck between two jobs, and how I used my professional profile.",
                  "motivation": "It touched my own doubts.", "insights": "I listen longer before advising.",
                  "conduct": "I will ask one more question."}


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def audit_actions(org) -> list[str]:
    with maintenance():
        return list(AuditEvent.objects.filter(organisation=org).order_by("pk").values_list("action", flat=True))


def fresh_case(case) -> ReviewCase:
    return case_of_pk(case.pk)


def case_of_pk(pk) -> ReviewCase:
    with maintenance():
        return ReviewCase.objects.select_related("submission", "submission__dossier", "scheme_version", "candidate",
                                                 "organisation").get(pk=pk)


@pytest.fixture
def noloc_case(client, org_a, alice, ada, django_capture_on_commit_callbacks):
    """Alice's real Noloc dossier, submitted through the page; Xena (the one assessor) has assessed it: A3.2
    needs more information and the 40-point course is disallowed."""
    (xena,) = assessors(org_a, "Xena Xavier")
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))
    activities = pe_points(org_a, alice)
    complete_noloc(client, org_a, dossier)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("dossier_submit", org_a, pk=dossier.pk)).status_code == 302
    with maintenance():
        submission = Submission.objects.get(dossier=dossier)
    case = case_of(submission)
    (allocation,) = allocations(case)
    services.declare(allocation=allocation, by=xena, conflict=False)
    codes = workspace.section_codes(submission.snapshot)
    sections = {code: {"judgement": "meets", "comment": ""} for code in codes}
    sections["A3.2"] = {"judgement": "more_information", "comment": "Refer to the professional profile."}
    course = activities[0]
    services.assessment_save(allocation=allocation, by=xena, sections=sections,
                             activities={str(course.pk): {"disallowed": True, "reason": "No certificate."}},
                             notes="")
    services.assessment_submit(allocation=allocation, by=xena)
    client.logout()
    return {"case": fresh_case(case), "xena": xena, "dossier": dossier, "course": course,
            "activities": activities, "allocation": allocation}


def pdf_upload(name):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def send(client, org, case, rows, due=None, status=302):
    data = {"due_on": (due or timezone.localdate() + dt.timedelta(days=14)).isoformat()}
    for number, (target, question) in enumerate(rows, start=1):
        data[f"target_{number}"], data[f"question_{number}"] = target, question
    response = client.post(url("review_rfi_send", org, pk=case.pk), data)
    assert response.status_code == status, response.content.decode()[:3000]
    return response


def open_rfi(case) -> InformationRequest:
    with maintenance():
        return InformationRequest.objects.get(case_id=case.pk, status="open")


def test_disallowing_drops_the_points_below_75_with_the_engines_explanation(noloc_case):
    case, course = noloc_case["case"], noloc_case["course"]
    before = workspace.recompute(case)
    after = workspace.recompute(case, {course.pk})
    assert before.compliant
    assert before.counted >= 75
    assert not after.compliant
    assert after.counted < 75
    assert after.problems  # the engine says why


def test_information_request_reopens_only_what_it_names(client, org_a, alice, noloc_case, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    case, xena, dossier, course = (noloc_case[key] for key in ("case", "xena", "dossier", "course"))
    other = noloc_case["activities"][1]
    client.force_login(xena)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert 'data-testid="rfi-form"' in page
    with django_capture_on_commit_callbacks(execute=True):
        send(client, org_a, case, [("section:A3.2", "How does this relate to your professional profile?"),
                                   (f"activity:{course.pk}", "Upload the course certificate.")])
    assert fresh_case(case).state == ReviewCase.State.INFORMATION_REQUESTED
    with maintenance():
        reopened = Dossier.objects.get(pk=dossier.pk).reopened
        assert Activity.objects.get(pk=course.pk).locked_by_id is None
        assert Activity.objects.get(pk=other.pk).locked_by_id is not None  # not named: stays locked
    assert reopened["sections"] == ["A3.2"]
    assert reopened["activities"] == [course.pk]
    mail = next(m for m in mailoutbox if m.to == [alice.email] and "more information" in m.subject)
    assert "Upload the course certificate." in mail.body
    assert "Xena" not in mail.body

    client.force_login(alice)
    detail = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()
    assert "How does this relate to your professional profile?" in detail
    assert 'data-step="information_requested"' in detail
    # Named: the section and the activity may change. Not named: refused (403), nothing saved.
    assert save_section(client, org_a, dossier, "A4", questions("development-plan", {"present": "changed"})
                        ).status_code == 403
    assert save_section(client, org_a, dossier, "A3.2", questions("reflection-report", NEW_REFLECTION,
                                                                  ["Kerntaak 2: begeleiden"])).status_code == 302
    assert client.post(url("activity_edit", org_a, pk=other.pk), {"title": "Changed"}).status_code == 403
    # Files: the named activity takes new evidence; a section that was not named does not.
    upload = url("evidence_upload", org_a)
    assert client.post(upload, {"activity": course.pk, "file": pdf_upload("course.pdf")}).status_code in (200, 302)
    with maintenance():
        a1 = DossierSection.objects.get(dossier_id=dossier.pk, code="A1")
        before = Evidence.objects.filter(section=a1).count()
        assert Evidence.objects.filter(activity_id=course.pk, original_name="course.pdf").exists()
    refused = client.post(upload, {"section": a1.pk, "requirement": "cv", "file": pdf_upload("cv2.pdf")}, follow=True)
    assert "This dossier has been submitted; its files can no longer change." in refused.content.decode()
    with maintenance():
        assert Evidence.objects.filter(section=a1).count() == before
    with maintenance():
        assert Activity.objects.get(pk=other.pk).title == "Intervision"
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A4")).content.decode()
    assert "read-only" in page


def test_the_form_keeps_what_was_typed_and_refuses_unknown_parts(client, org_a, noloc_case):
    case, xena = noloc_case["case"], noloc_case["xena"]
    client.force_login(xena)
    response = send(client, org_a, case, [("section:ZZ", "A question about nothing"),
                                          ("", "A question about no part")], status=422)
    page = response.content.decode()
    assert "A question about nothing" in page
    assert "A question about no part" in page
    assert "Choose what this question is about." in page
    response = send(client, org_a, case, [("section:A3.2", "When?")], due=timezone.localdate(), status=422)
    assert "Choose an answer date after today." in response.content.decode()
    assert fresh_case(case).state == ReviewCase.State.ADVISING
    with maintenance():
        assert not Dossier.objects.get(pk=noloc_case["dossier"].pk).reopened
    with pytest.raises(ValidationError):  # the service refuses a part that is not in the snapshot
        rfi.rfi_send(case=case, by=xena, questions=[("activity:999999", "?")],
                     due_on=timezone.localdate() + dt.timedelta(days=3))


def test_the_candidate_answers_resubmits_and_the_assessor_sees_the_redline(client, org_a, alice, noloc_case,
                                                                            mailoutbox,
                                                                            django_capture_on_commit_callbacks):
    case, xena, dossier, course = (noloc_case[key] for key in ("case", "xena", "dossier", "course"))
    client.force_login(xena)
    send(client, org_a, case, [("section:A3.2", "How does this relate to your profile?"),
                               (f"activity:{course.pk}", "Which provider?")])
    asked = open_rfi(case)
    with maintenance():
        first_at = Submission.objects.get(dossier=dossier).submitted_at
        first_snapshot = Submission.objects.get(dossier=dossier).snapshot
    client.force_login(alice)
    answer = url("review_rfi_answer", org_a, pk=asked.pk)
    # Resubmitting with a question unanswered is refused; what was typed is kept.
    response = client.post(answer, {"answer-0": "See the new text.", "answer-1": "", "action": "resubmit"},
                           follow=True)
    assert "Answer the question about" in response.content.decode()
    assert open_rfi(case).items[0]["answer"] == "See the new text."
    save_section(client, org_a, dossier, "A3.2", questions("reflection-report", NEW_REFLECTION,
                                                           ["Kerntaak 2: begeleiden"]))
    with maintenance():
        Activity.objects.filter(pk=course.pk).update(provider="Acme Academy")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(answer, {"answer-0": "See the new text.", "answer-1": "Acme Academy",
                                        "action": "resubmit"}, follow=True)
    assert "Your dossier has been resubmitted." in response.content.decode()
    with maintenance():
        submission = Submission.objects.get(dossier=dossier)
        versions = list(SubmissionVersion.objects.filter(submission=submission))
        assert Dossier.objects.get(pk=dossier.pk).reopened == {}
        assert Activity.objects.get(pk=course.pk).locked_by_id == submission.pk  # frozen again
    assert submission.version == 2
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].submitted_at == first_at
    assert versions[1].submitted_at == submission.resubmitted_at
    assert versions[1].submitted_at > first_at
    assert versions[0].snapshot == first_snapshot  # the first version is kept as it was
    assert submission.snapshot["version"] == 2
    assert submission.snapshot_sha256 == versions[1].snapshot_sha256
    assert open_rfi_count(case) == 0
    case = fresh_case(case)
    assert case.state == ReviewCase.State.IN_REVIEW
    (allocation,) = [a for a in allocations(case) if a.status == Allocation.Status.ACTIVE]
    assert any(m.to == [xena.email] and "resubmitted" in m.subject for m in mailoutbox)
    # Still locked: the answered request cannot be answered again; the dossier page is read-only again.
    assert client.post(answer, {"answer-0": "x", "action": "save"}, follow=True).status_code == 200
    assert save_section(client, org_a, dossier, "A3.2", questions("reflection-report", NEW_REFLECTION)
                        ).status_code == 403

    client.force_login(xena)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert 'data-testid="redline"' in page
    assert "What changed from version 1 to version 2" in page
    assert "<ins>" in page
    assert "<del>" in page
    assert "professional profile" in page
    assert 'data-code="A3.2"' in page
    assert "Acme Academy" in page  # the activity's changed provider
    assert "See the new text." in page
    # The assessor revises and advises (the journey's last step).
    sections = {code: {"judgement": "meets", "comment": ""} for code in workspace.section_codes(submission.snapshot)}
    services.assessment_save(allocation=allocation, by=xena, sections=sections, activities={}, notes="")
    services.assessment_submit(allocation=allocation, by=xena)
    advice = services.advice_send(case=fresh_case(case), by=xena, outcome="positive", summary="Fine now.")
    assert advice.outcome == "positive"
    actions = audit_actions(org_a)
    for action in ("review.rfi", "dossier.reopen", "review.rfi_answer", "dossier.resubmit",
                   "review.rfi_resubmitted", "review.advice"):
        assert action in actions, action


def open_rfi_count(case) -> int:
    with maintenance():
        return InformationRequest.objects.filter(case_id=case.pk, status="open").count()


def test_a_statement_asked_for_again_must_be_signed_again(client, org_a, alice, noloc_case, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    case, xena, dossier = noloc_case["case"], noloc_case["xena"], noloc_case["dossier"]
    statement = next(s for s in case.submission.snapshot["statements"] if s["section"] == "A1")
    client.force_login(xena)
    with django_capture_on_commit_callbacks(execute=True):
        send(client, org_a, case, [(f"statement:{statement['id']}", "Please have your employer confirm again.")])
    with maintenance():
        old = StatementRequest.objects.get(pk=statement["id"])
        new = StatementRequest.objects.filter(dossier_id=dossier.pk, signer_email=old.signer_email).latest("pk")
        assert Dossier.objects.get(pk=dossier.pk).reopened["statements"] == [new.pk]
    assert old.status == StatementRequest.Status.WITHDRAWN  # the old signature no longer counts
    assert new.pk != old.pk
    assert new.status == StatementRequest.Status.REQUESTED
    assert new.token_hash != old.token_hash
    assert sign_state(new) == "open"
    assert sign_state(old) != "open"
    assert any(m.to == [old.signer_email] for m in mailoutbox)  # a new link to the signer
    asked = open_rfi(case)
    client.force_login(alice)
    answer = url("review_rfi_answer", org_a, pk=asked.pk)
    client.post(answer, {"answer-0": "Asked Bo again.", "action": "resubmit"})
    assert open_rfi_count(case) == 1  # refused: the statement is not signed yet
    with maintenance():
        fresh = StatementRequest.objects.select_related("dossier__scheme_version", "dossier__owner",
                                                        "organisation").get(pk=new.pk)
    with django_capture_on_commit_callbacks(execute=True):
        statement_sign(statement=fresh, fields={"jobcoach-name": "Alice", "organisation": "Acme", "role": "Jobcoach",
                                                "practising": True, "signed-on": dt.date(2025, 11, 1)},
                       signed_name="Bo Boss")
    client.post(answer, {"answer-0": "Asked Bo again.", "action": "resubmit"})
    assert open_rfi_count(case) == 0
    with maintenance():
        submission = Submission.objects.get(pk=case.submission_id)
    states = {s["id"]: s["state"] for s in submission.snapshot["statements"]}
    assert states[new.pk] == "signed"
    assert states[old.pk] == "withdrawn"
    client.force_login(xena)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert 'data-testid="redline-statements"' in page
    assert "Bo Boss" in page


def test_information_can_be_requested_only_once_all_assessments_are_in(client, org_a, alice, ada):
    xena, yuri = assessors(org_a, "Xena Xavier", "Yuri Young")
    case = case_of(submitted(org_a, alice, CMI))
    first, second = allocations(case)
    for allocation in (first, second):
        services.declare(allocation=allocation, by=allocation.assessor, conflict=False)
    meets = {"scope": {"judgement": "meets"}, "competence": {"judgement": "meets"},
             "supervisor-statement": {"judgement": "meets"}}
    services.assessment_save(allocation=first, by=first.assessor, sections=meets, activities={}, notes="")
    services.assessment_submit(allocation=first, by=first.assessor)
    client.force_login(first.assessor)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert 'data-testid="rfi-form"' not in page  # blind: the other assessment is not in
    send(client, org_a, case, [("section:scope", "Which clients?")], status=422)
    assert fresh_case(case).state == ReviewCase.State.IN_REVIEW
    assert yuri.get_full_name() not in page


def test_others_get_404_on_the_new_addresses(client, org_a, alice, noloc_case):
    case, xena = noloc_case["case"], noloc_case["xena"]
    client.force_login(xena)
    send(client, org_a, case, [("section:A3.2", "Why?")])
    asked = open_rfi(case)
    intruder = factories.member(org_a, "pat@example.com", "professional", first_name="Pat")
    stranger = factories.member(org_a, "sam@example.com", "assessor", first_name="Sam")
    client.force_login(intruder)
    assert client.post(url("review_rfi_answer", org_a, pk=asked.pk), {"answer-0": "x"}).status_code == 404
    client.force_login(stranger)  # an assessor who is not allocated
    assert client.post(url("review_rfi_send", org_a, pk=case.pk), {}).status_code == 404
    client.force_login(alice)  # the candidate cannot send herself questions
    assert client.post(url("review_rfi_send", org_a, pk=case.pk), {}).status_code == 404
    with maintenance():
        assert InformationRequest.objects.get(pk=asked.pk).items[0]["answer"] == ""


def test_the_dashboard_stage_and_the_coordinators_overdue_list(client, org_a, alice, ada, noloc_case):
    case, xena, dossier = noloc_case["case"], noloc_case["xena"], noloc_case["dossier"]
    client.force_login(xena)
    due = timezone.localdate() + dt.timedelta(days=10)
    send(client, org_a, case, [("section:A3.2", "Why?")], due=due)
    with maintenance():
        reopened = Dossier.objects.select_related("organisation").get(pk=dossier.pk)
    stage = rfi.rfi_stage(lifecycle.LifecycleContext(
        organisation=reopened.organisation, user=alice, certification=reopened.certification,
        definition=reopened.scheme_version.rules, report=None, today=timezone.localdate(), dossier=reopened))
    assert stage is not None
    assert stage.status == lifecycle.CURRENT
    assert stage.due == due
    assert stage.label.startswith("Information requested (answer by")
    client.force_login(ada)
    assert 'data-testid="overdue-rfi-row"' not in client.get(url("review_overdue", org_a)).content.decode()
    with maintenance():
        InformationRequest.objects.filter(case_id=case.pk).update(due_on=timezone.localdate() - dt.timedelta(days=1))
    page = client.get(url("review_overdue", org_a)).content.decode()
    assert 'data-testid="overdue-rfi-row"' in page
    assert "Alice" in page


def test_the_candidate_mail_is_in_their_language(client, org_a, alice, noloc_case, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    with maintenance():
        type(alice).objects.filter(pk=alice.pk).update(preferred_language="nl")
    case = fresh_case(noloc_case["case"])
    client.force_login(noloc_case["xena"])
    with django_capture_on_commit_callbacks(execute=True):
        send(client, org_a, case, [("section:A3.2", "Waarom?")])
    mail = next(m for m in mailoutbox if m.to == [alice.email] and "Waarom?" in m.body)
    assert "informatie" in mail.subject.lower()


def test_redline_words_mark_what_was_added_and_removed():
    segments = redline.words("I asked open questions.", "I asked closed questions.")
    assert ("removed", "open") in segments
    assert ("added", "closed") in segments
    before = {"sections": [], "activities": [{"id": 1, "title": "Course", "counted": "40", "evidence": []}],
              "report_localised": {"points": {"counted": "80", "required": "75", "compliant": True}}}
    after = {"sections": [], "activities": [{"id": 2, "title": "Other", "counted": "10", "evidence": []}],
             "report_localised": {"points": {"counted": "50", "required": "75", "compliant": False}}}
    change = redline.redline(before, after, 1, 2)
    assert [(a.id, a.change) for a in change.activities] == [(2, "added"), (1, "removed")]
    assert [line.label for line in change.totals] == ["Points counted", "Meets the points requirement"]


def test_after_a_resubmission_two_assessors_are_blind_again_until_both_are_in(client, org_a, alice, ada):
    """A two-assessor case whose assessors agreed asks for information; once the candidate resubmits both
    assessments open again, and neither assessor sees the other's judgement or name until both are back in."""
    xena, yuri = assessors(org_a, "Xena Xavier", "Yuri Young")
    submission = submitted(org_a, alice, CMI)
    case = case_of(submission)
    meets = {code: {"judgement": "meets", "comment": ""} for code in ("scope", "competence", "supervisor-statement")}
    first, second = allocations(case)
    for allocation in (first, second):
        services.declare(allocation=allocation, by=allocation.assessor, conflict=False)
        services.assessment_save(allocation=allocation, by=allocation.assessor, sections=meets, activities={},
                                 notes=f"note of {allocation.assessor.first_name}")
        services.assessment_submit(allocation=allocation, by=allocation.assessor)
    case = fresh_case(case)
    assert case.state == ReviewCase.State.ADVISING
    rfi.rfi_send(case=case, by=first.assessor, questions=[("section:scope", "Which employer?")],
                 due_on=timezone.localdate() + dt.timedelta(days=5))
    with maintenance():
        for number in (1, 2):  # as a resubmission leaves it (this helper's dossier is not a real one to resubmit)
            SubmissionVersion.objects.create(organisation=org_a, submission=submission, number=number,
                                             submitted_at=timezone.now(), submitted_by=alice,
                                             snapshot=submission.snapshot, snapshot_sha256=submission.snapshot_sha256)
        resubmitted = Submission.objects.get(pk=submission.pk)
    from dossiers.signals import submission_resubmitted

    submission_resubmitted.send(sender=Submission, submission=resubmitted)
    case = fresh_case(case)
    assert case.state == ReviewCase.State.IN_REVIEW
    assert case.all_submitted_at is None
    assert {a.status for a in allocations(case)} == {Allocation.Status.ACTIVE}
    revised = {**meets, "competence": {"judgement": "not_met", "comment": "Still vague."}}
    services.assessment_save(allocation=first, by=first.assessor, sections=revised, activities={}, notes="")
    services.assessment_submit(allocation=first, by=first.assessor)
    client.force_login(second.assessor)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    assert first.assessor.get_full_name() not in page
    assert "Still vague." not in page
    assert 'data-testid="comparison"' not in page
    with maintenance():
        trail = " ".join(str(e.data) for e in AuditEvent.objects.filter(organisation=org_a,
                                                                        action__startswith="review.rfi"))
    assert "not_met" not in trail
    assert "Still vague." not in trail


def test_the_request_pages_pass_the_nu_html_checker(client, org_a, alice, ada, noloc_case, tmp_path):
    from tests.test_html_validity import checker_errors

    case, xena, dossier = noloc_case["case"], noloc_case["xena"], noloc_case["dossier"]
    pages = {}
    client.force_login(xena)
    pages["case with the request form"] = client.get(url("review_case", org_a, pk=case.pk)).content
    pages["refused form"] = send(client, org_a, case, [("", "no target")], status=422).content
    send(client, org_a, case, [("section:A3.2", "Why?")])
    client.force_login(alice)
    pages["dossier with the questions"] = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content
    pages["reopened section"] = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A3.2")).content
    save_section(client, org_a, dossier, "A3.2", questions("reflection-report", NEW_REFLECTION,
                                                           ["Kerntaak 2: begeleiden"]))
    client.post(url("review_rfi_answer", org_a, pk=open_rfi(case).pk), {"answer-0": "Done.", "action": "resubmit"})
    client.force_login(xena)
    pages["case with the redline"] = client.get(url("review_case", org_a, pk=case.pk)).content
    assert b'data-testid="redline"' in pages["case with the redline"]
    client.force_login(ada)
    pages["overdue"] = client.get(url("review_overdue", org_a)).content
    # The workspace's own htmx attributes (hx-*, from the assessment form) are not this page part's to fix.
    assert [error for error in checker_errors(pages, tmp_path) if "“hx-" not in error] == []


def test_a_file_replaced_in_a_reopened_section_stays_stored_for_the_first_version(client, org_a, alice, noloc_case):
    case, xena, dossier = noloc_case["case"], noloc_case["xena"], noloc_case["dossier"]
    cv = next(item for item in case.submission.snapshot["evidence"] if item["section"] == "A1")
    client.force_login(xena)
    send(client, org_a, case, [("section:A1", "Your CV is out of date: upload the current one.")])
    client.force_login(alice)
    assert client.post(url("evidence_delete", org_a, pk=cv["id"])).status_code in (200, 302)
    with maintenance():
        a1 = DossierSection.objects.get(dossier_id=dossier.pk, code="A1")
        assert not Evidence.objects.filter(section=a1).exists()  # gone from the dossier ...
        kept = Evidence.objects.get(pk=cv["id"])  # ... but kept, with its file, for version 1
        assert kept.file.storage.exists(kept.file.name)
    client.post(url("evidence_upload", org_a),
                {"section": a1.pk, "requirement": "cv", "file": pdf_upload("cv-2026.pdf")})
    client.post(url("review_rfi_answer", org_a, pk=open_rfi(case).pk), {"answer-0": "Uploaded.", "action": "resubmit"})
    assert open_rfi_count(case) == 0
    with maintenance():
        submission = Submission.objects.get(pk=case.submission_id)
    names = [item["name"] for item in submission.snapshot["evidence"]]
    assert "cv-2026.pdf" in names
    client.force_login(xena)
    page = client.get(url("review_case", org_a, pk=case.pk)).content.decode()
    a1_change = page[page.index('data-code="A1"', page.index('data-testid="redline"')):]
    assert "cv-2026.pdf" in a1_change[:3000]
