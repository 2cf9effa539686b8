"""Review of submitted dossiers: cases, allocations to assessors, assessments, reconciliation and the advice.

A `ReviewCase` is opened for every `Submission` (one per submission, by the scheme version's review settings).
Assessors are allocated to it (`Allocation`, one per assessor and turn: a declined, conflicted or replaced
allocation stays as history); each open allocation has one `Assessment` on the frozen snapshot. Assessors'
`Relationship`s are the people and employers they may not assess. Reconciliation is a `CaseMessage`
thread; the `Advice` is frozen when sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager
from dossiers.models import Submission
from schemes.models import SchemeVersion


class ReviewCase(models.Model):
    class State(models.TextChoices):
        HELD = "held", _("Waiting (on hold)")
        OPEN = "open", _("Waiting for assessors")
        IN_REVIEW = "in_review", _("Being assessed")
        RECONCILING = "reconciling", _("Reconciling")
        ADVISING = "advising", _("Advice being drafted")
        INFORMATION_REQUESTED = "information_requested", _("Information requested")
        ADVICE_GIVEN = "advice_given", _("Advice given")
        ACCEPTED_ON_RULES = "accepted_on_rules", _("Accepted on the rules")

    OPEN_STATES = (State.HELD, State.OPEN, State.IN_REVIEW, State.RECONCILING, State.ADVISING,
                   State.INFORMATION_REQUESTED)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="review_case")
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="+")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    candidate_name = models.CharField(max_length=300)
    state = models.CharField(max_length=24, choices=State.choices, default=State.OPEN)
    assessors_required = models.PositiveSmallIntegerField(default=1)
    # The sampling decision, as the engine gave it: the reasons (codes) and the seeded draw.
    selection_reasons = models.JSONField(default=list, blank=True)
    selection_draw = models.PositiveIntegerField(null=True, blank=True)
    disagreement = models.CharField(max_length=20, default="third_assessor")
    due_working_days = models.PositiveSmallIntegerField(default=15)
    opened_at = models.DateTimeField()
    review_started_at = models.DateTimeField(null=True, blank=True)
    all_submitted_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Sections the deciding assessor settled: code → judgement.
    joint = models.JSONField(default=dict, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("review case")
        verbose_name_plural = _("review cases")
        indexes = [
            models.Index(fields=["organisation", "state", "opened_at", "id"], name="reviewcase_queue_idx"),
            # The queue's default view (every open case, oldest first) walks this in order: no sort of them all.
            models.Index(fields=["organisation", "opened_at", "id"], name="reviewcase_open_idx",
                         condition=models.Q(state__in=["held", "open", "in_review", "reconciling", "advising",
                                                       "information_requested"])),
            models.Index(fields=["organisation", "opened_at", "id"], name="reviewcase_opened_idx"),
            models.Index(fields=["organisation", "candidate"], name="reviewcase_candidate_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.candidate_name} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class Allocation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the conflict declaration")
        ACTIVE = "active", _("Assessing")
        SUBMITTED = "submitted", _("Assessment submitted")
        DECLINED = "declined", _("Declined")
        CONFLICT = "conflict", _("Conflict declared")
        REPLACED = "replaced", _("Replaced")
        OVERDUE = "overdue", _("Returned (overdue)")

    class Role(models.TextChoices):
        ASSESSOR = "assessor", _("Assessor")
        DECIDER = "decider", _("Deciding assessor")

    OPEN = (Status.PENDING, Status.ACTIVE)
    COUNTED = (Status.PENDING, Status.ACTIVE, Status.SUBMITTED)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="allocations")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ASSESSOR)
    # "Assessor 1", "Assessor 2": how the others are named until every assessment is in.
    position = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    allocated_at = models.DateTimeField()
    due_on = models.DateField(_("due"))
    declared_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    reminders_sent = models.JSONField(default=list, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["case_id", "position", "id"]
        indexes = [
            models.Index(fields=["organisation", "assessor", "status"], name="allocation_assessor_idx"),
            models.Index(fields=["organisation", "case"], name="allocation_case_idx"),
            models.Index(fields=["organisation", "status", "due_on"], name="allocation_due_idx"),
        ]
        constraints = [models.UniqueConstraint(
            fields=["organisation", "case", "assessor"],
            condition=models.Q(status__in=["pending", "active", "submitted"]),
            name="allocation_one_live_per_assessor")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.assessor_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


class Assessment(models.Model):
    """An assessor's judgement of one case: per section and per activity, with private notes (a draft until
    submitted; a submitted one changes only by a coordinator's withdrawal)."""

    class Judgement(models.TextChoices):
        MEETS = "meets", _("Meets the requirements")
        NOT_MET = "not_met", _("Does not meet the requirements")
        MORE_INFORMATION = "more_information", _("More information needed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    allocation = models.OneToOneField(Allocation, on_delete=models.CASCADE, related_name="assessment")
    sections = models.JSONField(default=dict, blank=True)  # code → {"judgement": ..., "comment": ...}
    activities = models.JSONField(default=dict, blank=True)  # snapshot activity id → {"disallowed": bool, "reason"}
    notes = models.TextField(_("private notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdraw_reason = models.TextField(blank=True)

    objects = TenantManager()

    def __str__(self) -> str:
        return f"assessment {self.pk}"


class Relationship(models.Model):
    """A person or employer an assessor may not assess (their own declaration)."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        EMPLOYER = "employer", _("Employer")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail address"), blank=True)
    note = models.CharField(_("relationship"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["kind", "name"]
        indexes = [models.Index(fields=["organisation", "assessor"], name="relationship_assessor_idx")]

    def __str__(self) -> str:
        return self.name


class AssessorProfile(models.Model):
    """How much an assessor can take on, and in which languages they assess."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    capacity = models.PositiveSmallIntegerField(_("open cases at most"), default=10)
    languages = models.JSONField(_("languages"), default=list, blank=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "assessor"], name="assessorprofile_uniq")]

    def __str__(self) -> str:
        return str(self.assessor_id)


class CaseMessage(models.Model):
    """The reconciliation discussion between a case's assessors (visible only once all have submitted)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "case"], name="casemessage_case_idx")]

    def __str__(self) -> str:
        return f"message {self.pk}"


class Advice(models.Model):
    """The advice to the certifying body: frozen (with its SHA-256) when sent."""

    class Outcome(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEGATIVE = "negative", _("Negative")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.OneToOneField(ReviewCase, on_delete=models.PROTECT, related_name="advice")
    outcome = models.CharField(_("advice"), max_length=10, choices=Outcome.choices)
    summary = models.TextField(_("summary"), blank=True)
    sections = models.JSONField(default=list)  # [{"code", "label", "judgement", "reasons"}]
    assessors = models.JSONField(default=list)  # [{"id", "name"}]
    points = models.JSONField(default=dict, blank=True)  # the engine's recomputed totals
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    sha256 = models.CharField(max_length=64)

    objects = TenantManager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "sent_at"], name="advice_org_sent_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.outcome}"


class Interview(models.Model):
    """The oral interview of a case (CMI initial certification): when and where, the committee (an assessor
    and a chair), then the chair's record of attendance, minutes and outcome. Rescheduling changes this row
    (the audit trail keeps every version); `sequence` counts the versions for the calendar file."""

    class Attendance(models.TextChoices):
        ATTENDED = "attended", _("Attended")
        ABSENT = "absent", _("Did not attend")
        EXCUSED = "excused", _("Excused")

    class Outcome(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEGATIVE = "negative", _("Negative")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.OneToOneField(ReviewCase, on_delete=models.CASCADE, related_name="interview")
    starts_at = models.DateTimeField(_("date and time"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), max_length=500, blank=True)
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("assessor"))
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("chair"))
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    scheduled_at = models.DateTimeField()
    sequence = models.PositiveSmallIntegerField(default=0)
    attendance = models.CharField(_("attendance"), max_length=10, choices=Attendance.choices, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        indexes = [models.Index(fields=["organisation", "starts_at"], name="interview_org_starts_idx")]

    def __str__(self) -> str:
        return f"interview {self.case_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def recorded(self) -> bool:
        return self.recorded_at is not None


class AssessorCredit(models.Model):
    """An assessor's completed assessments of one calendar year, offered as their own activity (Noloc's
    `register-mentor-assessor`): pending until the certification coordinator confirms it (the activity is
    created then, so only a confirmed credit counts in the engine) or rejects it with a reason."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    assessor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    candidates = models.PositiveIntegerField(_("candidates assessed"))
    type_code = models.SlugField(max_length=80)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    offered_at = models.DateTimeField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    activity = models.OneToOneField("portfolios.Activity", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("assessor credit")
        verbose_name_plural = _("assessor credits")
        ordering = ["-year", "id"]
        indexes = [models.Index(fields=["organisation", "status"], name="assessorcredit_status_idx")]
        constraints = [models.UniqueConstraint(
            fields=["organisation", "assessor", "year"], condition=models.Q(status__in=["pending", "confirmed"]),
            name="assessorcredit_one_per_year")]

    def __str__(self) -> str:
        return f"{self.assessor_id} {self.year}: {self.candidates}"


class InformationRequest(models.Model):
    """Questions the assessors send the candidate, each about a named section, statement or activity of the
    snapshot, which the request reopens (review/rfi.py); answered when the candidate resubmits."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the candidate")
        ANSWERED = "answered", _("Answered and resubmitted")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(ReviewCase, on_delete=models.CASCADE, related_name="information_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    due_on = models.DateField(_("answer by"))
    # [{"kind": "section" | "statement" | "activity", "ref": code or id, "label": ..., "question": ...,
    #   "answer": ...}] in the order asked.
    items = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    from_version = models.PositiveSmallIntegerField(default=1)
    to_version = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["case_id", "requested_at", "id"]
        indexes = [models.Index(fields=["organisation", "case"], name="rfi_case_idx"),
                   models.Index(fields=["organisation", "status", "due_on"], name="rfi_due_idx")]
        constraints = [models.UniqueConstraint(fields=["organisation", "case"], condition=models.Q(status="open"),
                                               name="rfi_one_open_per_case")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.status}"
