"""Record tasks that failed for good, for the health page."""

from typing import Any

from celery.signals import task_failure


@task_failure.connect
def record_task_failure(sender: Any = None, task_id: str | None = None, exception: BaseException | None = None,
                        **kwargs: Any) -> None:
    from notifications.models import TaskFailure

    TaskFailure.objects.create(task=getattr(sender, "name", str(sender))[:200], task_id=task_id or "",
                               error=f"{type(exception).__name__}: {exception}"[:5000])
