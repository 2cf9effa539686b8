"""Benchmark: the daily reminder scan over 100,000 (or, `--certifications 1000000`, a million) certifications with
about a fifth of them having a reminder due, next to a bare keyset scan over the same rows in the same run
(issue 14, item 5: a million in under 60 s and within 3x of the bare scan); a second scan right after that
claims nothing; publishing the sends to the broker; this process's peak RSS (flat: the scan works in chunks).

Four organisations, one per shipped scheme, a quarter of the certifications each (every holder with two
activities), anchor dates spread so that about a fifth of the certificates have a reminder due on the
benchmark's day; the rows are generated inside PostgreSQL (a million in a few minutes, once per size).
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
import resource
import sys
import time
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
    """The four organisations (created on the first run for this size), their rows generated inside
    PostgreSQL (`INSERT … SELECT generate_series`, a few statements per organisation whatever the size)."""
    from django.db import connection

    from accounts.models import Organisation, User
    from accounts.tenancy import maintenance
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
            with connection.cursor() as cursor:
                cursor.execute("SELECT setseed(%s)", [index / 10])
                cursor.execute(
                    """
                    WITH holders AS (
                        INSERT INTO accounts_user (password, is_superuser, is_staff, is_active, date_joined, email,
                                                   first_name, last_name, address, phone, preferred_language)
                        SELECT '!', false, false, true, now(), 'p' || i || '@' || %(slug)s || '.bench', 'P',
                               i::text, '', '', 'en'
                        FROM generate_series(0, %(count)s - 1) AS i
                        RETURNING id
                    ), members AS (
                        INSERT INTO accounts_membership (is_professional, is_assessor, is_decision_maker, is_admin,
                                                         created_at, user_id, organisation_id)
                        SELECT true, false, false, false, now(), id, %(organisation)s FROM holders
                    ), certifications AS (
                        INSERT INTO portfolios_certification (number, product_series, designation, status, created_at,
                                                              holder_id, organisation_id, scheme_version_id, """
                    + connection.ops.quote_name(field) + """)
                        SELECT 'C' || lpad(id::text, 8, '0'), %(series)s, %(designation)s, 'active', now(), id,
                               %(organisation)s, %(version)s, %(first)s::date + floor(random() * %(spread)s)::int
                        FROM holders
                    )
                    INSERT INTO portfolios_activity (type_code, date, quantity, attributes, title, provider,
                                                     description, reflection, import_key, created_at, updated_at,
                                                     organisation_id, owner_id)
                    SELECT kind, %(today)s::date - (1 + floor(random() * 699))::int, 1 + floor(random() * 4), '{}',
                           'x', '', '', '', '', now(), now(), %(organisation)s, holders.id
                    FROM holders CROSS JOIN unnest(%(types)s::varchar[]) AS kind
                    """,  # noqa: S608 - the one interpolated name is a model field's, quoted
                    {"slug": slug, "count": per_scheme, "organisation": organisation.pk, "version": version.pk,
                     "series": extra.get("product_series", ""), "designation": extra.get("designation", ""),
                     "first": first, "spread": spread, "today": TODAY, "types": types})
                cursor.execute("ANALYZE portfolios_certification; ANALYZE portfolios_activity; ANALYZE accounts_user")
            organisations.append(organisation)
    return organisations


def bare_keyset_scan(organisations: list[Any], chunk: int) -> int:
    """The baseline: every active certification of the organisations read by the same keyset (id order,
    `chunk` at a time, inside each tenant context), the columns the scan reads, and nothing done with them."""
    from accounts.tenancy import tenant_context
    from portfolios.models import Certification

    rows = 0
    for organisation in organisations:
        after = 0
        while True:
            with tenant_context(organisation):
                found = list(Certification.objects.for_organisation(organisation)
                             .filter(status=Certification.Status.ACTIVE, pk__gt=after)
                             .values_list("pk", "holder_id", "number", "exam_passed_on", "recertification_date",
                                          "cycle_start", "designation", "product_series", "scheme_version_id")
                             .order_by("pk")[:chunk])
            rows += len(found)
            if len(found) < chunk:
                break
            after = found[-1][0]
    return rows


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset(organisations: list[Any]) -> None:
    """Forget what earlier runs claimed and queued."""
    from accounts.models import OutboxMessage
    from accounts.tenancy import maintenance
    from notifications import reminders
    from notifications.models import Reminder

    with maintenance():
        Reminder.objects.filter(organisation__in=organisations).delete()
        OutboxMessage.objects.filter(task__in=[reminders.SEND_TASK, reminders.SEND_BATCH_TASK]).delete()


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

    rss_before = peak_rss_mib()
    bare_time, bare_queries, bare_rows = measured(lambda: bare_keyset_scan(organisations, reminders.SCAN_CHUNK))
    first_time, first_queries, first = measured(lambda: reminders.reminder_scan(today=TODAY, organisations=ids))
    rss_after_first = peak_rss_mib()
    second_time, second_queries, second = measured(lambda: reminders.reminder_scan(today=TODAY, organisations=ids))
    outbox.publish = original_publish

    print(f"certifications: {args.certifications:,} in {len(organisations)} organisations; "
          f"pre-filtered for evaluation: {first.candidates:,}")
    print(f"bare keyset scan: {bare_time:6.2f} s, {bare_queries:4} queries, {bare_rows:,} rows "
          f"({reminders.SCAN_CHUNK:,} per chunk)")
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
        print(f"publishing the {first.claimed:,} sends ({len(published):,} outbox messages) to {args.broker}: "
              f"{publish_time:.2f} s, "
              f"{publish_queries} queries ({purged:,} messages purged afterwards)")
    else:
        print(f"{first.claimed:,} sends ({len(published):,} outbox messages) wait in the outbox "
              "(pass --broker to time publishing them)")
    print(f"first scan / bare keyset scan: {first_time / bare_time:.2f}x")
    print(f"peak RSS: {rss_before:.0f} MiB before the scans, {rss_after_first:.0f} MiB after the first, "
          f"{peak_rss_mib():.0f} MiB at the end")
    print(f"RESULT reminders.certifications={args.certifications} certifications")
    print(f"RESULT reminders.bare-keyset-scan={bare_time:.2f} s")
    print(f"RESULT reminders.first-scan={first_time:.2f} s")
    print(f"RESULT reminders.peak-rss={peak_rss_mib():.0f} MiB")
    print(f"RESULT reminders.peak-rss-before-scans={rss_before:.0f} MiB")
    print(f"RESULT reminders.first-scan-queries={first_queries} queries")
    print(f"RESULT reminders.due={first.due} reminders")
    print(f"RESULT reminders.second-scan={second_time:.2f} s")
    print(f"RESULT reminders.second-scan-claimed={second.claimed} reminders")
    if args.broker:
        print(f"RESULT reminders.publish={publish_time:.2f} s")


if __name__ == "__main__":
    main()
