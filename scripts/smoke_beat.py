"""The Celery app for scripts/smoke's beat: production's app and schedule, the daily reminder scan every few
seconds instead, so that beat itself starts the scan within the smoke run's minute (the scan is idempotent:
however often it runs, each reminder is claimed and sent once, which the smoke run checks)."""

from django.conf import settings
from smoke import SCAN_EVERY_SECONDS

from config.celery import app

app.conf.beat_schedule = {**settings.CELERY_BEAT_SCHEDULE,
                          "reminder-scan": {**settings.CELERY_BEAT_SCHEDULE["reminder-scan"],
                                            "schedule": SCAN_EVERY_SECONDS}}
