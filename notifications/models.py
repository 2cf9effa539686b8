"""Background work: reminders sent once, opt-outs, heartbeats and failed tasks.

Heartbeats and task failures are platform tables (no organisation); reminders and opt-outs belong to an
organisation like any tenant table. The outbox and delivery failures live in accounts (accounts/models.py),
the ground floor every layer sends mail and tasks through.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager


class Heartbeat(models.Model):
    """The last time a background process showed it was alive ("worker", "beat", "reminder-scan"...)."""

    name = models.CharField(max_length=60, unique=True)
    at = models.DateTimeField()
    detail = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return self.name


class Reminder(models.Model):
    """One reminder for one certification on one due date. The unique constraint is the claim: two scans
    running at once cannot both insert it, so it is sent once."""

    class Status(models.TextChoices):
        CLAIMED = "claimed", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    certification = models.ForeignKey("portfolios.Certification", on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    code = models.CharField(max_length=60)
    anchor_date = models.DateField()
    send_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CLAIMED)
    email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = TenantManager()

    class Meta:
        ordering = ["-claimed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "certification", "code", "send_on"],
                                    name="reminder_once_per_due_date"),
        ]
        indexes = [models.Index(fields=["organisation", "status", "claimed_at"], name="reminder_org_status_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.send_on}"


class ReminderOptOut(models.Model):
    """A member who asked not to receive one kind of (non-mandatory) reminder from an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=60)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user", "code"], name="reminder_optout_uniq")]

    def __str__(self) -> str:
        return self.code


class TaskFailure(models.Model):
    """A background task that failed for good (after its retries), for the administrators' health page."""

    task = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, blank=True)
    error = models.TextField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["at"], name="taskfailure_at_idx")]

    def __str__(self) -> str:
        return self.task
