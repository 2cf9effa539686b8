"""Benchmark: the daily reminder scan over 100,000 certifications with about 20,000 reminders due (target: under
30 s, a query count that does not grow with the number of certifications), and a second scan right after
that claims nothing.

Four organisations, one per shipped scheme, 25,000 certifications each (every holder with two activities),
anchor dates spread so that about a fifth of the certificates have a reminder due on the benchmark's day.
Runs against PostgreSQL (its own database, `recert_bench`, created on first run), as the application role,
under row-level security. Reminders and outbox rows of earlier runs are removed first, so the first scan
always claims everything.

The scan's after-commit step (handing the sends to the broker) is timed separately: with `--broker URL` (a
Redis database the benchmark may empty) the sends are published there and the queue is purged afterwards;
without it they stay in the outbox.

    .venv/bin/python bench/bench_reminders.py [--certifications 100000] [--broker redis://127.0.0.1:6379/8]
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
os.environ.setdefault("DATABASE_URL", "postgres://recert_app@127.0.0.1:5432/recert_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

TODAY = dt.date(2026, 11, 23)
# scheme → (anchor field, first anchor date, spread in days, activity types, extra certification fields)
SCHEMES = {
    "noloc-register-jobcoach": ("recertification_date", TODAY - dt.timedelta(days=10), 900, ["course", "book-read"],
                                {}),
    "cmi-register-loopbaanprofessional": ("recertification_date", TODAY - dt.timedelta(days=10), 620, [], {}),
    "peoplecert-cpd": ("exam_passed_on", dt.date(2019, 1, 1), 365 * 5 + 1,
                       ["best-practice-at-work", "in-house-training"], {"product_series": "itil-4"}),
    "ccmg-cpd": ("cycle_start", TODAY - dt.timedelta(days=3 * 365), 3 * 365, ["training-course-with-exam", "webinar"],
                 {"designation": "CCOP"}),
}


def populate(total: int) -> list[Any]:
    """The four organisations (created on the first run for this size)."""
    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance
    from portfolios.models import Activity, Certification
    from schemes.services import scheme_adopt

    per_scheme = total // len(SCHEMES)
    organisations = []
    with maintenance():
        for index, (code, (field, first, spread, types, extra)) in enumerate(SCHEMES.items()):
            slug = f"bench-rem-{index}-{per_scheme}"
            organisation = Organisation.objects.filter(slug=slug).first()
            if organisation is not None:
                organisations.append(organisation)
                continue
            print(f"Creating {per_scheme:,} {code} certifications…", flush=True)
            organisation = Organisation.objects.create(slug=slug, name=f"Reminder benchmark {code}")
            admin = User.objects.create_user(email=f"admin@{slug}.bench", first_name="A", last_name="Admin")
            version = scheme_adopt(organisation=organisation, code=code, by=admin, effective_from=dt.date(2018, 1, 1))
            rng = random.Random(index)
            users = User.objects.bulk_create(
                [User(email=f"p{i}@{slug}.bench", first_name="P", last_name=str(i), password="!")
                 for i in range(per_scheme)], batch_size=5000)
            Membership.objects.bulk_create([Membership(organisation=organisation, user=u, is_professional=True)
                                            for u in users], batch_size=5000)
            Certification.objects.bulk_create([
                Certification(organisation=organisation, holder=u, scheme_version=version, number=f"C{i:06}",
                              **{field: first + dt.timedelta(days=rng.randrange(spread))}, **extra)
                for i, u in enumerate(users)], batch_size=5000)
            activities = [Activity(organisation=organisation, owner=u, type_code=kind, title="x",
                                   date=TODAY - dt.timedelta(days=rng.randrange(1, 700)),
                                   quantity=Decimal(rng.randint(1, 4)))
                          for u in users for kind in types]
            Activity.objects.bulk_create(activities, batch_size=10000)
            organisations.append(organisation)
    return organisations


def reset(organisations: list[Any]) -> None:
    """Forget what earlier runs claimed and queued."""
    from accounts.models import OutboxMessage
    from accounts.tenancy import maintenance
    from notifications import reminders
    from notifications.models import Reminder

    with maintenance():
        Reminder.objects.filter(organisation__in=organisations).delete()
        OutboxMessage.objects.filter(task=reminders.SEND_TASK).delete()


class Counter:
    """Counts every statement sent to the database (`connection.execute_wrapper`)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):  # noqa: ANN001, ANN204
        self.count += 1
        return execute(sql, params, many, context)


def measured(function) -> tuple[float, int, Any]:  # noqa: ANN001
    from django.db import connection

    counter = Counter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - started
    return elapsed, counter.count, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certifications", type=int, default=100_000)
    parser.add_argument("--broker", default="", help="a Redis URL to publish the sends to (its queue is purged)")
    args = parser.parse_args()

    from prepare_services import prepare_postgres

    prepare_postgres()
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from config.celery import app
    from notifications import reminders

    call_command("migrate", verbosity=0)
    organisations = populate(args.certifications)
    reset(organisations)
    ids = [organisation.pk for organisation in organisations]

    from accounts import outbox

    published: list[int] = []
    original_publish = outbox.publish

    def hold(ids, *, limit=500):  # noqa: ANN001, ANN202 - after-commit publishing is timed on its own below
        batch = list(ids)
        published.extend(batch)
        return len(batch)

    outbox.publish = hold  # type: ignore[assignment]  # a stand-in, so publishing is timed on its own

    first_time, first_queries, first = measured(lambda: reminders.reminder_scan(today=TODAY, organisations=ids))
    second_time, second_queries, second = measured(lambda: reminders.reminder_scan(today=TODAY, organisations=ids))
    outbox.publish = original_publish

    print(f"certifications: {args.certifications:,} in {len(organisations)} organisations; "
          f"pre-filtered for evaluation: {first.candidates:,}")
    print(f"first scan:  {first_time:6.2f} s, {first_queries:4} queries; due {first.due:,}, claimed {first.claimed:,}, "
          f"skipped {first.skipped:,}")
    print(f"second scan: {second_time:6.2f} s, {second_queries:4} queries; due {second.due:,}, "
          f"claimed {second.claimed:,}, already claimed {second.already:,}")
    if args.broker:
        settings.CELERY_TASK_ALWAYS_EAGER = False
        app.conf.broker_url = args.broker
        publish_time, publish_queries, _ = measured(lambda: [original_publish(published[i:i + 1000], limit=1000)
                                                             for i in range(0, len(published), 1000)])
        with app.connection_for_write() as connection:
            purged = app.control.purge(connection=connection)
        print(f"publishing the {len(published):,} sends to {args.broker}: {publish_time:.2f} s, "
              f"{publish_queries} queries ({purged:,} messages purged afterwards)")
    else:
        print(f"{len(published):,} sends wait in the outbox (pass --broker to time publishing them)")
    verdict = "OK" if first_time < 30 and second.claimed == 0 else "MISSED"
    print(f"target: first scan under 30 s and the second claims nothing: {verdict}")
    print(f"RESULT reminders.certifications={args.certifications} certifications")
    print(f"RESULT reminders.first-scan={first_time:.2f} s")
    print(f"RESULT reminders.first-scan-queries={first_queries} queries")
    print(f"RESULT reminders.due={first.due} reminders")
    print(f"RESULT reminders.second-scan={second_time:.2f} s")
    print(f"RESULT reminders.second-scan-claimed={second.claimed} reminders")
    if args.broker:
        print(f"RESULT reminders.publish={publish_time:.2f} s")


if __name__ == "__main__":
    main()
