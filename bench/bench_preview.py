"""Benchmark: the scheme-change preview over 10,000 professionals' portfolios (target: under 10 s).

Runs against PostgreSQL (its own database, `recert_bench`, created on first run), as the application
role, under row-level security. Usage (from the repository root):

    .venv/bin/python bench/bench_preview.py [--professionals 10000] [--activities 40]
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

TYPES = [("course", 8), ("workshop", 3), ("congress", 2), ("book-read", 1), ("podcast", 1), ("peer-meeting", 2),
         ("congress-outside", 1), ("noloc-committee", 1), ("volunteering", 1)]


def populate(professionals: int, per_person: int) -> Any:
    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance
    from portfolios.models import Activity, Certification
    from schemes.models import SchemeVersion
    from schemes.services import scheme_adopt

    slug = f"bench-{professionals}-{per_person}"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            return organisation
        print(f"Creating {professionals:,} professionals with {per_person} activities each…", flush=True)
        organisation = Organisation.objects.create(slug=slug, name="Benchmark body")
        admin = User.objects.create_user(email=f"admin@{slug}.bench", first_name="A", last_name="Admin")
        version = scheme_adopt(organisation=organisation, code="noloc-register-jobcoach", by=admin,
                               effective_from=dt.date(2020, 1, 1))
        assert isinstance(version, SchemeVersion)
        rng = random.Random(42)
        users = User.objects.bulk_create(
            [User(email=f"p{i}@{slug}.bench", first_name="P", last_name=str(i), password="!")
             for i in range(professionals)], batch_size=2000)
        Membership.objects.bulk_create([Membership(organisation=organisation, user=u, is_professional=True)
                                        for u in users], batch_size=2000)
        Certification.objects.bulk_create([
            Certification(organisation=organisation, holder=u, scheme_version=version, number=f"N{i:06}",
                          recertification_date=dt.date(2027, 1, 1) + dt.timedelta(days=i % 365))
            for i, u in enumerate(users)], batch_size=2000)
        weights = [w for _, w in TYPES]
        batch: list[Activity] = []
        for user in users:
            for _ in range(per_person):
                kind = rng.choices(TYPES, weights)[0][0]
                batch.append(Activity(organisation=organisation, owner=user, type_code=kind,
                                      date=dt.date(2023, 2, 1) + dt.timedelta(days=rng.randrange(1400)),
                                      quantity=Decimal(rng.randint(1, 4)), title="x"))
            if len(batch) >= 20000:
                Activity.objects.bulk_create(batch)
                batch = []
        Activity.objects.bulk_create(batch)
    return organisation


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--professionals", type=int, default=10_000)
    parser.add_argument("--activities", type=int, default=40)
    args = parser.parse_args()

    from prepare_services import prepare_postgres

    prepare_postgres()
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tenancy import tenant_context
    from schemes.models import SchemeVersion
    from schemes.services import scheme_preview

    call_command("migrate", verbosity=0)
    organisation = populate(args.professionals, args.activities)
    with tenant_context(organisation):
        version = SchemeVersion.objects.for_organisation(organisation).get(code="noloc-register-jobcoach", version=1)
        proposed_data = version.definition | {"categories": [
            {**c, "max": "20"} if c["code"] == "societal" else c for c in version.definition["categories"]]}
        from schemes import rules

        proposed = rules.load_definition(proposed_data)
        timings = []
        for _ in range(3):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                impact = scheme_preview(organisation=organisation, code="noloc-register-jobcoach", proposed=proposed,
                                        as_of=dt.date(2026, 11, 22))
                timings.append(time.perf_counter() - started)
    timings.sort()
    print(f"preview over {impact.evaluated:,} certifications / {args.professionals * args.activities:,} activities: "
          f"median {timings[1]:.2f} s (runs: {', '.join(f'{t:.2f}' for t in timings)}), "
          f"{len(queries.captured_queries)} queries; compliant {impact.compliant_before} → {impact.compliant_after}")
    print(f"RESULT preview.median={timings[1]:.2f} s")
    print(f"RESULT preview.queries={len(queries.captured_queries)} queries")


if __name__ == "__main__":
    main()
