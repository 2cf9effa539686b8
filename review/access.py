"""Every access decision of the review app, as plain functions (the lead registers them as rules of the one
access policy). Whatever is not allowed answers 404, so nobody learns a case exists.

- A coordinator (settings.REVIEW_COORDINATOR_ROLES, default administrators) sees every case of the
  organisation, but never an assessor's private notes.
- An assessor sees a case only through a live allocation of their own: before declaring no conflict only the
  candidate's name; after it the snapshot and its evidence, while the allocation is open (assessing, or
  submitted while the case is still open). A replaced, declined, conflicted or overdue allocation gives nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.access import Access, register_rule
from accounts.models import Membership, User
from accounts.tenancy import NotFound
from dossiers.models import Evidence, Submission
from review.models import Allocation, InformationRequest, ReviewCase
from review.services import is_coordinator

LIVE = (Allocation.Status.PENDING, Allocation.Status.ACTIVE, Allocation.Status.SUBMITTED)


def _not_found() -> NotFound:
    return NotFound(_("There is no review case at this address."))


def live_allocation(user: User, case: ReviewCase) -> Allocation | None:
    """The user's live allocation on this case (the newest), if any."""
    if not case.is_open and case.state != ReviewCase.State.ADVICE_GIVEN:
        return None
    return (Allocation.objects.for_organisation(case.organisation_id)
            .filter(case=case, assessor=user, status__in=LIVE).order_by("-pk").first())


def content_open(allocation: Allocation | None) -> bool:
    """Whether the allocation lets its assessor read the dossier: declared, and the case still open."""
    if allocation is None or not allocation.case.is_open:
        return False
    return allocation.status in (Allocation.Status.ACTIVE, Allocation.Status.SUBMITTED)


def allocation_open_for(user: User, submission: Submission) -> Allocation | None:
    """The open allocation through which `user` may read this submission's snapshot and evidence."""
    case = ReviewCase.objects.for_organisation(submission.organisation_id).filter(submission=submission).first()
    if case is None:
        return None
    allocation = live_allocation(user, case)
    return allocation if content_open(allocation) else None


def case_for(request: HttpRequest, pk: int) -> tuple[ReviewCase, Allocation | None]:
    """The case and the asker's own live allocation (None for a coordinator who is not on it); 404 otherwise."""
    case = (ReviewCase.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
            .select_related("submission", "scheme_version", "candidate", "organisation").filter(pk=pk).first())
    if case is None:
        raise _not_found()
    membership: Membership = request.membership  # type: ignore[attr-defined]
    allocation = live_allocation(request.user, case) if membership.is_assessor else None  # type: ignore[arg-type]
    if allocation is not None:
        return case, allocation
    if is_coordinator(membership) and case.candidate_id != request.user.pk:
        return case, None
    raise _not_found()


def allocation_for(request: HttpRequest, pk: int) -> Allocation:
    """The asker's own live allocation; 404 otherwise."""
    allocation = (Allocation.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
                  .select_related("case", "case__organisation", "case__submission", "case__scheme_version", "assessor")
                  .filter(pk=pk, assessor=request.user, status__in=LIVE).first())
    if allocation is None:
        raise _not_found()
    return allocation


def coordinator_allocation_for(request: HttpRequest, pk: int) -> Allocation:
    """Any allocation of the organisation, for a coordinator; 404 otherwise."""
    if not is_coordinator(request.membership):  # type: ignore[attr-defined]
        raise _not_found()
    allocation = (Allocation.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
                  .select_related("case", "case__organisation", "assessor").filter(pk=pk).first())
    if allocation is None:
        raise _not_found()
    return allocation


def may_read_content(request: HttpRequest, case: ReviewCase, allocation: Allocation | None) -> bool:
    """The snapshot's content: an assessor through an open, declared allocation; a coordinator always."""
    if allocation is not None:
        return content_open(allocation)
    return is_coordinator(request.membership)  # type: ignore[attr-defined]


def evidence_for(request: HttpRequest, case: ReviewCase, allocation: Allocation | None, evidence_id: int) -> Evidence:
    """An evidence file of the case's snapshot, for whoever may read the content; 404 otherwise."""
    listed: list[dict[str, Any]] = case.submission.snapshot.get("evidence", [])
    if not may_read_content(request, case, allocation) or evidence_id not in {item["id"] for item in listed}:
        raise _not_found()
    evidence = Evidence.objects.for_organisation(case.organisation_id).filter(pk=evidence_id).first()
    if evidence is None:
        raise _not_found()
    return evidence


def others_visible(case: ReviewCase) -> bool:
    """Blindness: another assessor's judgement or identity is shown only once every assessment is in."""
    return case.all_submitted_at is not None


# --- rules of the one access policy (accounts/access.py), registered in ReviewConfig.ready -------------------
# An assessor whose allocation to the case is open (active, or submitted and not withdrawn or replaced) may read
# the dossier and its evidence through the dossier's own pages; nobody changes anything through this rule. A
# replaced or declined allocation is no longer open, so access ends with it, in the same query.
OPEN_STATUSES = (Allocation.Status.ACTIVE, Allocation.Status.SUBMITTED)


def _allocated(access: Access, path: str) -> Q | None:
    if access.write:
        return None
    return Q(**{f"{path}review_case__allocations__assessor": access.user,
                f"{path}review_case__allocations__status__in": OPEN_STATUSES})


def allocated_dossier(access: Access) -> Q | None:
    return _allocated(access, "submission__")


def allocated_evidence(access: Access) -> Q | None:
    section = _allocated(access, "section__dossier__submission__")
    activity = _allocated(access, "activity__locked_by__")
    return None if section is None or activity is None else section | activity


def register_rules() -> None:
    register_rule("dossier", allocated_dossier)
    register_rule("evidence", allocated_evidence)


def information_request_for(request: HttpRequest, pk: int) -> InformationRequest:
    """A request for information, for the candidate it was sent to; 404 for everyone else."""
    found = (InformationRequest.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
             .select_related("case", "case__organisation", "case__submission", "case__submission__dossier")
             .filter(pk=pk, case__candidate=request.user).first())
    if found is None:
        raise NotFound(_("There is no request for information at this address."))
    return found
