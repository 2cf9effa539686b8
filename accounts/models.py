"""People, organisations (the tenants), memberships, invitations and the audit trail.

`Organisation` is the tenant. Every tenant-owned table has a non-null `organisation` foreign key that
leads its indexes and unique constraints (the future Citus distribution column), is read through
`TenantManager` (fails closed when a query is not scoped to one organisation) and is guarded in
PostgreSQL by a row-level-security policy (see accounts/tenancy.py and the RLS migrations).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import ClassVar, cast

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.tenancy import TenantManager, TenantQuerySet

RESERVED_SLUGS = frozenset({
    "accounts", "admin", "api", "healthz", "i18n", "invitations", "media", "static", "profile",
    "organisations", "sign", "statements", "verify", "www",
})


def contrast_with_white(colour: str) -> float:
    """WCAG contrast ratio between #rrggbb and white."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def validate_brand_colour(value: str) -> None:
    """The navigation shows white text on the brand colour: it must stay readable (WCAG AA, 4.5:1)."""
    if len(value) == 7 and contrast_with_white(value) < 4.5:
        raise ValidationError(
            _("White text on %(colour)s is hard to read (contrast %(ratio).1f:1; at least 4.5:1 is needed). "
              "Choose a darker colour."), params={"colour": value, "ratio": contrast_with_white(value)},
            code="low_contrast")


def validate_slug_not_reserved(value: str) -> None:
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved for the site itself; choose another address."),
                              params={"slug": value}, code="reserved")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """One login for a person, whichever bodies certify them. Signs in by e-mail; no username."""

    username = None  # type: ignore[assignment]  # people sign in by e-mail: there is no username
    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("surname"), max_length=150)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    address = models.TextField(pgettext_lazy("postal", "address"), blank=True)
    phone = models.CharField(
        _("phone"), max_length=32, blank=True,
        validators=[RegexValidator(
            r"^\+?[0-9 ()\-]{6,31}$",
            _("Enter a phone number: digits, spaces, brackets or hyphens, optionally starting with +."))],
    )
    preferred_language = models.CharField(_("preferred language"), max_length=8, blank=True,
                                          choices=settings.LANGUAGES)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[assignment, misc]  # e-mail, not username: our own manager

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Organisation(models.Model):
    """A certifying organisation: the tenant."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("web address"), max_length=60, unique=True, validators=[validate_slug_not_reserved],
                            help_text=_("The short name in the organisation's web addresses, e.g. “noloc”."))
    host = models.CharField(_("own host name"), max_length=253, blank=True, null=True, unique=True,
                            help_text=_("Optional host name of a white-label portal for this organisation."))
    primary_colour = models.CharField(
        _("primary colour"), max_length=7, default="#1f4e79",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # and six hex digits.")),
                    validate_brand_colour])
    logo = models.ImageField(_("logo"), upload_to="branding/", blank=True)
    default_language = models.CharField(_("default language"), max_length=8, choices=settings.LANGUAGES,
                                        default="en")
    allow_join_requests = models.BooleanField(
        _("allow join requests"), default=False,
        help_text=_("People with an account but no invitation can ask to join as a professional; an "
                    "administrator approves or refuses each request. Only the organisation's name is shown to them."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    PROFESSIONAL = "professional", _("Professional")
    ASSESSOR = "assessor", _("Assessor")
    DECISION_MAKER = "decision_maker", _("Decision maker (certifying body)")
    ADMIN = "admin", _("Administrator")


ROLE_FIELDS = {
    Role.PROFESSIONAL: "is_professional",
    Role.ASSESSOR: "is_assessor",
    Role.DECISION_MAKER: "is_decision_maker",
    Role.ADMIN: "is_admin",
}


class MembershipQuerySet(TenantQuerySet):
    def with_role(self, role: Role) -> MembershipQuerySet:
        return self.filter(**{ROLE_FIELDS[Role(role)]: True})


class MembershipManager(TenantManager.from_queryset(MembershipQuerySet)):  # type: ignore[misc]  # dynamic base
    """Tenant-checked, with `MembershipQuerySet`'s methods on the manager too (as `from_queryset` makes them)."""

    def get_queryset(self) -> MembershipQuerySet:
        return cast(MembershipQuerySet, super().get_queryset())

    def for_organisation(self, organisation: Organisation | int) -> MembershipQuerySet:
        return self.get_queryset().for_organisation(organisation)


class Membership(models.Model):
    """A user's place in one organisation, with one or more roles (booleans keep them queryable)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    is_professional = models.BooleanField(_("professional"), default=False)
    is_assessor = models.BooleanField(_("assessor"), default=False)
    is_decision_maker = models.BooleanField(_("decision maker"), default=False)
    is_admin = models.BooleanField(_("administrator"), default=False)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    objects = MembershipManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="membership_org_user_uniq"),
        ]
        indexes = [models.Index(fields=["organisation", "is_admin"], name="membership_org_admin_idx")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation}"

    @property
    def roles(self) -> list[Role]:
        return [role for role, field in ROLE_FIELDS.items() if getattr(self, field)]

    def has_role(self, *roles: Role) -> bool:
        return any(getattr(self, ROLE_FIELDS[Role(role)]) for role in roles)

    def set_roles(self, roles: list[str] | set[str]) -> None:
        chosen = {Role(r) for r in roles}
        for role, field in ROLE_FIELDS.items():
            setattr(self, field, role in chosen)


def invitation_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mailed invitation to join an organisation with one role.

    Only the SHA-256 of the link's token is stored, so a database leak does not leak usable links.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), default=invitation_expiry)
    last_sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    send_count = models.PositiveIntegerField(_("times sent"), default=0)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = TenantManager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "email"], name="invitation_org_email_idx")]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    def new_token(self) -> str:
        """Give the invitation a fresh link token (invalidating any earlier link) and return it."""
        token = secrets.token_urlsafe(32)
        self.token_hash = hash_token(token)
        return token

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    @property
    def state(self) -> Invitation.State:
        if self.accepted_at:
            return self.State.ACCEPTED
        if self.revoked_at:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return str(self.state.label)


class JoinRequest(models.Model):
    """A signed-in person's request to join an organisation that allows it, decided by an administrator.

    One open request per person and organisation (a constraint); an approved request makes the person a
    professional member. The person sees their own requests across organisations (`for_user`, and the database
    policy's user column); everything else about them stays inside the organisation.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests")
    message = models.TextField(_("message to the administrators"), blank=True, max_length=1000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(_("reason"), blank=True, max_length=1000)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    objects = TenantManager()

    class Meta:
        verbose_name = _("join request")
        verbose_name_plural = _("join requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], condition=models.Q(status="pending"),
                                    name="joinrequest_one_open_per_user"),
        ]
        indexes = [models.Index(fields=["organisation", "status"], name="joinrequest_org_status_idx")]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation}"


class AuditEvent(models.Model):
    """Append-only record of who did what in an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    action = models.CharField(_("action"), max_length=60)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = TenantManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="audit_org_created_idx")]

    def __str__(self) -> str:
        from accounts.audit import describe

        return describe(self)

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError("Audit events are append-only.")


class MailSend(models.Model):
    """One e-mail a person made the platform send to an address they typed (a statement request, an
    invitation), kept to count sends against the limits in accounts/mail_limits.py.

    Append-only, and deliberately without the address: the audit trail says who was mailed; this table only
    has to answer "how many, by whom, when" reliably across processes (counted here, not in the cache).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    object_id = models.BigIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    objects = TenantManager()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "kind", "sent_at"], name="mailsend_org_kind_sent_idx"),
            models.Index(fields=["organisation", "sender", "kind", "sent_at"], name="mailsend_org_sender_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} @ {self.sent_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValidationError("Mail sends are append-only.")
        super().save(*args, **kwargs)


# --- background work every layer uses: the transactional outbox (accounts/outbox.py) and mail refusals -----

class OutboxMessage(models.Model):
    """A task to run, written in the same transaction as the change that asked for it.

    Published to the broker right after commit when it can be; otherwise the relay (beat) publishes it
    later, so a request never waits on the broker and nothing is lost while it is down.
    """

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "notifications_outboxmessage"  # made by the notifications app; rows stayed
        indexes = [models.Index(fields=["created_at"], condition=models.Q(published_at__isnull=True),
                                name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


class DeliveryFailure(models.Model):
    """An address the mail server refused for good: recorded for administrators, never retried for ever."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    reason = models.TextField()
    subject = models.CharField(max_length=300, blank=True)
    first_failed_at = models.DateTimeField(auto_now_add=True)
    last_failed_at = models.DateTimeField(auto_now=True)
    count = models.PositiveIntegerField(default=1)

    objects = TenantManager()

    class Meta:
        db_table = "notifications_deliveryfailure"  # made by the notifications app; rows stayed
        ordering = ["-last_failed_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="deliveryfailure_org_email")]

    def __str__(self) -> str:
        return self.email
