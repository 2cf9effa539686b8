from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("Review")

    def ready(self) -> None:
        """Review sits above portfolios: it hears of submissions and released holds through their hooks.
        It is installed after billing, so billing's receiver (which registers the fee hold) runs first."""
        from accounts import audit
        from certificates import hooks
        from dossiers import signals
        from portfolios.lifecycle import register_stage
        from review import access, api, rfi, services

        audit.register(services.AUDIT_ACTIONS)
        audit.register(rfi.AUDIT_ACTIONS)
        access.register_rules()
        hooks.register_advice_source(api.ADVICE_SOURCE)

        signals.submission_submitted.connect(services.on_submission_submitted, dispatch_uid="review-submission")
        signals.submission_hold_released.connect(services.on_hold_released, dispatch_uid="review-hold-released")
        signals.review_progress(progress_of)
        signals.submission_resubmitted.connect(rfi.on_resubmitted, dispatch_uid="review-resubmitted")
        signals.dossier_panel(rfi.dossier_panel)
        register_stage(rfi.rfi_stage, order=45)

    def seed_demo(self) -> None:
        from review.demo import seed_review_demo

        seed_review_demo()


def progress_of(submission):  # type: ignore[no-untyped-def]
    from review.models import ReviewCase
    from review.services import progress

    case = ReviewCase.objects.for_organisation(submission.organisation_id).filter(submission=submission).first()
    return progress(case, submission)
