"""Hooks the submission offers to the apps above it (billing, review), so they never have to be imported here.

- `submission_submitted` is sent inside the submitting transaction, after the snapshot exists
  (`sender=Submission`, `submission=...`). Receivers run in that transaction: what they write commits or rolls
  back with the submission.
- Review holds: an app registers a function `(submission) -> str | None` giving the reason review must wait
  (billing: "the recertification invoice is not paid yet"). `submission_holds(submission)` lists the reasons
  in force; when a reason goes away its app sends `submission_hold_released` so the review app can look again.
- `submission_resubmitted` is sent inside the resubmitting transaction after a request for information, once
  the submission holds its new version (`sender=Submission`, `submission=...`).
- Dossier panels: an app registers a function `(request, dossier) -> HTML or ""` whose output the dossier page
  shows above its checklist (the review app: the questions of a request for information, the resubmit button).
- Progress: the review app registers one function `(submission) -> list of steps` ({"code", "label", "at"}) that
  the dossier page shows the professional (submitted → in review → information requested → advice given).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.dispatch import Signal

if TYPE_CHECKING:
    from dossiers.models import Dossier, Submission

submission_submitted = Signal()
submission_hold_released = Signal()
submission_resubmitted = Signal()

ReviewHold = Callable[["Submission"], "str | None"]
_review_holds: list[ReviewHold] = []


def review_hold(rule: ReviewHold) -> ReviewHold:
    """Register a review hold (use as a decorator, or call from `AppConfig.ready`)."""
    if rule not in _review_holds:
        _review_holds.append(rule)
    return rule


def submission_holds(submission: Submission) -> list[str]:
    """Why review of this submission must wait, in the current language (empty: it may start)."""
    return [reason for rule in _review_holds if (reason := rule(submission))]


ProgressProvider = Callable[["Submission"], list[dict[str, Any]]]
_progress_providers: list[ProgressProvider] = []


def review_progress(provider: ProgressProvider) -> ProgressProvider:
    """Register the function giving a submission's review steps (call from `AppConfig.ready`)."""
    if provider not in _progress_providers:
        _progress_providers.append(provider)
    return provider


def submission_progress(submission: Submission) -> list[dict[str, Any]]:
    """The steps of a submission's review, for its professional (empty when no app tells)."""
    for provider in _progress_providers:
        return provider(submission)
    return []


DossierPanel = Callable[[Any, "Dossier"], str]
_dossier_panels: list[DossierPanel] = []


def dossier_panel(panel: DossierPanel) -> DossierPanel:
    """Register a panel of the dossier page (call from `AppConfig.ready`)."""
    if panel not in _dossier_panels:
        _dossier_panels.append(panel)
    return panel


def dossier_panels(request: Any, dossier: Dossier) -> list[str]:
    """The registered panels' HTML for this dossier (the empty ones left out)."""
    return [html for panel in _dossier_panels if (html := panel(request, dossier))]
