"""Background work: the outbox, reminders sent once, delivery failures, and heartbeats.

The outbox and heartbeats are platform tables (no organisation): they carry work and liveness for every
tenant. Reminders, opt-outs and delivery failures belong to an organisation like any tenant table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager


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
        indexes = [models.Index(fields=["created_at"], condition=models.Q(published_at__isnull=True),
                                name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.task} #{self.pk}"


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
        ordering = ["-last_failed_at"]
        constraints = [models.UniqueConstraint(fields=["organisation", "email"], name="deliveryfailure_org_email")]

    def __str__(self) -> str:
        return self.email


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
