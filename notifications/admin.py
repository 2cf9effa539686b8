from django.contrib import admin

from accounts.models import DeliveryFailure, OutboxMessage
from notifications.models import Heartbeat, Reminder, TaskFailure


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "created_at", "published_at", "attempts", "last_error"]
    list_filter = ["task"]


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["at", "task", "task_id", "error"]


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "at"]


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["claimed_at", "organisation", "certification", "code", "send_on", "status", "email"]
    list_filter = ["organisation", "status", "code"]


@admin.register(DeliveryFailure)
class DeliveryFailureAdmin(admin.ModelAdmin):
    list_display = ["last_failed_at", "organisation", "email", "count", "reason"]
