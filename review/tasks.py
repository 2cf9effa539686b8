"""Review's beat task: reminders to assessors before and after the due date; overdue allocations back to the queue."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="review.tasks.review_reminder_task")
def review_reminder_task() -> dict[str, int]:
    from review.services import overdue_scan

    return overdue_scan()
