from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = _("Review")

    def ready(self) -> None:
        """Review sits above portfolios: it hears of submissions and released holds through their hooks.
        It is installed after billing, so billing's receiver (which registers the fee hold) runs first."""
        from accounts import audit
        from accounts.home import register_waiting
        from certificates import hooks
        from dossiers import signals
        from portfolios.lifecycle import register_prefetch, register_stage
        from review import access, api, credit, home, interview, lifecycle, rfi, services

        audit.register(services.AUDIT_ACTIONS)
        audit.register(interview.AUDIT_ACTIONS)
        audit.register(credit.AUDIT_ACTIONS)
        audit.register(rfi.AUDIT_ACTIONS)
        register_prefetch(lifecycle.fetch_cases)
        register_stage(lifecycle.review_stage, order=lifecycle.ORDER)
        coordinators = [str(role) for role in services.coordinator_roles()]
        register_waiting(home.waiting_for_allocation, order=10, roles=coordinators)
        register_waiting(home.overdue_allocations, order=11, roles=coordinators)
        register_waiting(home.waiting_for_decision, order=12, roles=["admin", "decision_maker"])
        register_waiting(credit.credits_waiting, order=15, roles=coordinators)
        access.register_rules()
        hooks.register_advice_source(api.ADVICE_SOURCE)

        signals.submission_submitted.connect(services.on_submission_submitted, dispatch_uid="review-submission")
        signals.submission_hold_released.connect(services.on_hold_released, dispatch_uid="review-hold-released")
        signals.review_progress(lifecycle.progress_of)
        signals.submission_resubmitted.connect(rfi.on_resubmitted, dispatch_uid="review-resubmitted")
        signals.dossier_panel(rfi.dossier_panel)
        register_stage(rfi.rfi_stage, order=45)

    def seed_demo(self) -> None:
        from review.demo import seed_review_demo

        seed_review_demo()

