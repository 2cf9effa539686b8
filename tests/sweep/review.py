"""Isolation-sweep registry for review: the coordinator's queue, the assessor's pages, cases, evidence."""

from accounts.tenancy import maintenance
from tests import factories

ORG_SCOPED = {
    "review_queue": None,
    "review_queue_csv": None,
    "review_allocate": None,
    "review_overdue": None,
    "review_my_cases": None,
    "review_relationships": None,
    "review_relationship_delete": lambda w: {"pk": w.b["relationship"]},
    "review_case": lambda w: {"pk": w.b["case"]},
    "review_coordinate": lambda w: {"pk": w.b["case"]},
    "review_reconcile": lambda w: {"pk": w.b["case"]},
    "review_evidence": lambda w: {"pk": w.b["case"], "evidence": 1},
    "review_dossier_pdf": lambda w: {"pk": w.b["case"]},
    "review_declare": lambda w: {"pk": w.b["allocation"]},
    "review_decline": lambda w: {"pk": w.b["allocation"]},
    "review_save": lambda w: {"pk": w.b["allocation"]},
    "review_recompute": lambda w: {"pk": w.b["allocation"]},
    "review_interview": lambda w: {"pk": w.b["interview_case"]},
    "review_interview_schedule": lambda w: {"pk": w.b["interview_case"]},
    "review_interview_record": lambda w: {"pk": w.b["interview_case"]},
    "review_interview_ics": lambda w: {"pk": w.b["interview_case"]},
    "review_credits": None,
    "review_credit_offer": None,
    "review_credit_decide": lambda w: {"pk": w.b["credit"]},
    "review_rfi_send": lambda w: {"pk": w.b["case"]},
    "review_rfi_answer": lambda w: {"pk": w.b["information_request"]},
}


def make_b_objects(world):
    from django.utils import timezone

    from review.models import Allocation, InformationRequest, Relationship
    from review.services import allocate
    from tests.review_helpers import case_of, submitted

    assessor = factories.member(world.org_b, "b-assessor@example.com", "assessor")
    factories.member(world.org_a, world.member_a.email, "assessor")  # A's member may assess in A, not in B
    case = case_of(submitted(world.org_b, world.b_user))
    with maintenance():
        allocation = Allocation.objects.filter(case=case).first() or allocate(case=case, assessor=assessor, by=None)
        relationship = Relationship.objects.create(organisation=world.org_b, assessor=assessor, kind="person",
                                                   name="Someone")
        asked = InformationRequest.objects.create(
            organisation=world.org_b, case=case, requested_by=assessor, requested_at=timezone.now(),
            due_on=timezone.localdate(), items=[{"kind": "section", "ref": "scope", "label": "Scope",
                                                 "question": "Why?", "answer": ""}])
    # An initial CMI dossier of B with its interview scheduled, and a credit of B's assessor.
    import datetime as dt

    from review.models import AssessorCredit, Interview

    initial = case_of(submitted(world.org_b, factories.member(world.org_b, "b-initial@example.com", "professional"),
                                kind="initial"))
    chair = factories.member(world.org_b, "b-chair@example.com", "assessor")
    with maintenance():
        Interview.objects.create(organisation=world.org_b, case=initial, place="Utrecht",
                                 starts_at=timezone.now() + dt.timedelta(days=9), assessor=assessor, chair=chair,
                                 scheduled_at=timezone.now())
        credit = AssessorCredit.objects.create(organisation=world.org_b, assessor=assessor, year=2026, candidates=2,
                                               type_code="register-mentor-assessor", offered_at=timezone.now())
    return {"case": case.pk, "allocation": allocation.pk, "relationship": relationship.pk,
            "interview_case": initial.pk, "credit": credit.pk,
            "information_request": asked.pk}
