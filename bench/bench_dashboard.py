"""Benchmark: a professional's dashboard with 500 activities and 200 evidence files (and, with
`--activities 500 5000`, the same at 5,000), served by gunicorn with production settings on PostgreSQL and
loaded by wrk, next to a trivial signed-in view in the same run (bench/harness.py says how).

Target (issue 14): the dashboard serves at least 30% of the trivial view's requests per second and its p95 is
at most 4x the trivial view's, at 500 and at 5,000 activities; its query count does not grow with them.

    .venv/bin/python bench/bench_dashboard.py [--activities 500 [5000]] [--seconds 5] [--rounds 3]

Data is created once per size in the benchmark database (DATABASE_URL, default `recert_bench`).
"""

import argparse
import datetime as dt
import random
from decimal import Decimal
from typing import Any

import harness

TYPES = ["course", "workshop", "congress", "book-read", "podcast", "peer-meeting", "congress-outside",
         "noloc-committee", "volunteering", "lecture"]
EVIDENCE_FILES = 200


def populate(activities: int) -> tuple[Any, Any]:
    """One Noloc professional with `activities` activities over four years, 200 of them with a file."""
    from django.core.files.base import ContentFile

    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance
    from dossiers.models import Evidence
    from portfolios.models import Activity, Certification
    from schemes.services import scheme_adopt

    slug = f"bench-dashboard-{activities}"
    email = f"pro@{slug}.bench"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            return organisation, User.objects.get(email=email)
        print(f"Creating a portfolio of {activities:,} activities and {EVIDENCE_FILES} evidence files…", flush=True)
        organisation = Organisation.objects.create(slug=slug, name="Dashboard benchmark")
        user = User.objects.create_user(email=email, password="x", first_name="P", last_name="Pro")
        Membership.objects.create(organisation=organisation, user=user, is_professional=True)
        version = scheme_adopt(organisation=organisation, code="noloc-register-jobcoach", by=user,
                               effective_from=dt.date(2020, 1, 1))
        Certification.objects.create(organisation=organisation, holder=user, scheme_version=version, number="B-1",
                                     recertification_date=dt.date(2027, 6, 1))
        rng = random.Random(7)
        rows = Activity.objects.bulk_create([
            Activity(organisation=organisation, owner=user, type_code=rng.choice(TYPES),
                     date=dt.date(2023, 7, 1) + dt.timedelta(days=rng.randrange(1200)),
                     quantity=Decimal(rng.randint(1, 3)), title=f"Activity {i}") for i in range(activities)],
            batch_size=2000)
        for i in range(EVIDENCE_FILES):
            evidence = Evidence(organisation=organisation, owner=user, activity=rows[i], original_name=f"{i}.pdf",
                                content_type="application/pdf", size=9, sha256="0" * 64)
            evidence.file.save(f"{i}.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            evidence.save()
    return organisation, user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, nargs="+", default=[500],
                        help="portfolio sizes, each its own page in the same run (e.g. 500 5000)")
    harness.add_arguments(parser)
    args = parser.parse_args()
    environment = harness.setup()
    pages = []
    for size in args.activities:
        organisation, user = populate(size)
        pages.append(harness.Page(name=f"dashboard-{size}", path=f"/{organisation.slug}/", user=user,
                                  label=f"dashboard ({size:,} activities, {EVIDENCE_FILES} files)",
                                  expect="Certificate B-1"))
    harness.measure(environment, pages, args)


if __name__ == "__main__":
    main()
