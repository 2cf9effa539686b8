"""What professionals hold and log: certifications and activities (evidence and dossiers build on these)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager
from schemes.models import SchemeVersion


class Certification(models.Model):
    """A certificate a professional holds under one version of an organisation's scheme."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        LAPSED = "lapsed", _("Lapsed")
        SUSPENDED = "suspended", _("Suspended")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="certifications")
    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications")
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="certifications")
    number = models.CharField(_("certificate number"), max_length=64)
    exam_passed_on = models.DateField(_("exam passed on"), null=True, blank=True)
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    recertification_date = models.DateField(_("recertification date"), null=True, blank=True)
    cycle_start = models.DateField(_("cycle start"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    product_series = models.CharField(_("product series"), max_length=80, blank=True)
    designation = models.CharField(_("designation"), max_length=20, blank=True)
    membership_valid_until = models.DateField(
        _("membership valid until"), null=True, blank=True,
        help_text=_("For schemes that require a paid membership (PeopleCert Plus) before CPD can be submitted."))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [models.UniqueConstraint(fields=["organisation", "number"], name="certification_org_number")]
        indexes = [
            models.Index(fields=["organisation", "holder"], name="certification_org_holder_idx"),
            models.Index(fields=["organisation", "scheme_version"], name="certification_org_scheme_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class Activity(models.Model):
    """One development activity a professional logged. Counts toward every certification whose scheme
    knows its type code; the rules engine decides what counts."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="activities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activities")
    type_code = models.SlugField(_("activity type"), max_length=80)
    date = models.DateField(_("date"))
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2,
                                   validators=[MinValueValidator(0)])
    # The one encoding the form, the CSV import and the rules engine share (docs/rules-engine.md).
    attributes = models.JSONField(_("details"), default=dict, blank=True, help_text=_(
        "The activity type's extra values by attribute code: an integer attribute as a JSON integer (1500), a "
        "decimal attribute as a string in plain notation (\"2.5\"), yes or no as true or false, a text as a "
        "string."))
    title = models.CharField(_("title"), max_length=200)
    provider = models.CharField(_("provider"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    reflection = models.TextField(_("reflection"), blank=True)
    import_key = models.CharField(max_length=128, blank=True, editable=False,
                                  help_text="Set by bulk imports so the same row is never imported twice.")
    imported_by = models.ForeignKey("ActivityImport", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="activities")
    # Set when a submitted dossier includes the activity: from then on it cannot be edited or deleted.
    locked_by = models.ForeignKey("Submission", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="locked_activities")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["organisation", "owner", "date"], name="activity_org_owner_date_idx")]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "import_key"], condition=~models.Q(import_key=""),
                                    name="activity_org_import_key"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.locked_by_id is not None


class CertificationStatusChange(models.Model):
    """The status history of a certification (append-only)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, choices=Certification.Status.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["organisation", "certification"], name="certstatus_org_cert_idx")]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


def evidence_path(instance: Evidence, filename: str) -> str:
    """Server-generated storage name: nothing of the uploader's file name reaches the file system."""
    import uuid

    return f"evidence/{instance.organisation_id}/{uuid.uuid4().hex}"


class Dossier(models.Model):
    """A recertification dossier (or a yearly CPD submission) being assembled, then submitted."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="dossiers")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dossiers")
    certification = models.ForeignKey(Certification, on_delete=models.PROTECT, related_name="dossiers")
    # The version the dossier was started under: later versions never change what it is judged against.
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="dossiers")
    kind = models.CharField(_("kind"), max_length=20, default="recertification")
    reference_date = models.DateField(_("requirements as of"),
                                      help_text=_("The recertification date or the CPD-year deadline."))
    product_series = models.CharField(_("product series"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "certification", "kind", "reference_date", "product_series"],
                name="dossier_org_cert_kind_date"),
        ]
        indexes = [models.Index(fields=["organisation", "owner", "status"], name="dossier_org_owner_idx")]

    def __str__(self) -> str:
        return f"{self.certification_id}: {self.kind} {self.reference_date}"

    @property
    def is_locked(self) -> bool:
        return self.status != self.Status.DRAFT


class DossierSection(models.Model):
    """The professional's input for one section of the scheme (answers, choices, declarations)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="sections")
    code = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "dossier", "code"],
                                               name="dossiersection_org_dossier_code")]

    def __str__(self) -> str:
        return self.code


class Evidence(models.Model):
    """An uploaded file proving an activity or belonging to a dossier section.

    Stored under a server-generated name outside any public URL (Django's storage API, so S3-compatible
    storage is a setting), recognised by content, hashed, and served only by a permission-checked view.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="evidence")
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, null=True, blank=True, related_name="evidence")
    section = models.ForeignKey(DossierSection, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="evidence")
    requirement_code = models.CharField(max_length=60, blank=True)
    file = models.FileField(upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["uploaded_at", "id"]
        indexes = [
            models.Index(fields=["organisation", "owner"], name="evidence_org_owner_idx"),
            models.Index(fields=["organisation", "activity"], name="evidence_org_activity_idx"),
        ]
        constraints = [models.CheckConstraint(
            condition=~(models.Q(activity__isnull=False) & models.Q(section__isnull=False)),
            name="evidence_one_parent")]

    def __str__(self) -> str:
        return self.original_name


class StatementRequest(models.Model):
    """A signed statement asked of a third party (facilitator, supervisor, board colleague, employer).

    The signer gets a one-time, expiring link and signs without an account; only the SHA-256 of the
    link's token is stored. Once signed the statement cannot be changed by the professional.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="statements")
    section_code = models.CharField(max_length=40)
    requirement_code = models.CharField(max_length=60)
    signer_name = models.CharField(_("signer's name"), max_length=200)
    signer_email = models.EmailField(_("signer's e-mail address"))
    signer_role = models.CharField(_("signer's role"), max_length=120, blank=True)
    message = models.TextField(_("message to the signer"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    last_sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    fields = models.JSONField(default=dict, blank=True)
    signed_name = models.CharField(max_length=200, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["organisation", "dossier"], name="statement_org_dossier_idx")]

    def __str__(self) -> str:
        return f"{self.requirement_code} ({self.signer_email})"


class Submission(models.Model):
    """The immutable snapshot taken when a dossier is submitted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="submission")
    scheme_version = models.ForeignKey(SchemeVersion, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()
    snapshot = models.JSONField()
    snapshot_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to="submissions/", blank=True, max_length=200)

    objects = TenantManager()

    class Meta:
        indexes = [models.Index(fields=["organisation", "submitted_at"], name="submission_org_date_idx")]

    def __str__(self) -> str:
        return self.snapshot_sha256[:12]


class ActivityImport(models.Model):
    """A bulk import of activity records by an organisation (e.g. the CCMG uploading members' CPD)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "created_at"], name="activityimport_org_idx")]

    def __str__(self) -> str:
        return self.file_name


class DeletionRequest(models.Model):
    """A professional's request to delete their account, seen and actioned by each organisation's admins."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Carried out")
        REFUSED = "refused", _("Refused")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    user_email = models.EmailField()
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    actioned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    actioned_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["organisation", "status"], name="deletionrequest_org_idx")]

    def __str__(self) -> str:
        return self.user_email


class KeptReport(models.Model):
    """The dashboard's engine report of one certification, kept until one of its inputs changes.

    `key` fingerprints everything the report depends on (portfolios/kept_reports.py: the evaluation date, the
    scheme version in force, the certification's dates, the holder's activities, the engine's code); a request
    whose fingerprint differs evaluates afresh and replaces the row, so each change is evaluated at most once.
    `summary` is what the dashboard shows, JSON with the engine's messages kept structured (worded per reader).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.ForeignKey(Certification, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    summary = models.JSONField()
    computed_at = models.DateTimeField()

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "certification"], name="keptreport_org_cert")]

    def __str__(self) -> str:
        return f"report of {self.certification_id}"
