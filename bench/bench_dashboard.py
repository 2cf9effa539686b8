"""Benchmark: a professional's dashboard with 500 activities and 200 evidence files, through the full
middleware stack (Django's test client drives the WSGI handler), next to a trivial signed-in page in the
same run. Target: the dashboard serves at least 30% of the trivial page's requests per second; its query
count does not grow with the number of activities.

    .venv/bin/python bench/bench_dashboard.py [--seconds 5]
"""

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
os.environ.setdefault("DATABASE_URL", "postgres://recert_app@127.0.0.1:5432/recert_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="recert-bench-media-"))
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"

import django  # noqa: E402

TYPES = ["course", "workshop", "congress", "book-read", "podcast", "peer-meeting", "congress-outside",
         "noloc-committee", "volunteering", "lecture"]


def populate() -> tuple[object, object]:
    from django.core.files.base import ContentFile

    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance
    from portfolios.models import Activity, Certification, Evidence
    from schemes.services import scheme_adopt

    with maintenance():
        organisation = Organisation.objects.filter(slug="bench-dashboard").first()
        if organisation is not None:
            return organisation, User.objects.get(email="pro@bench-dashboard.bench")
        organisation = Organisation.objects.create(slug="bench-dashboard", name="Dashboard benchmark")
        user = User.objects.create_user(email="pro@bench-dashboard.bench", password="x", first_name="P",
                                        last_name="Pro")
        Membership.objects.create(organisation=organisation, user=user, is_professional=True)
        version = scheme_adopt(organisation=organisation, code="noloc-register-jobcoach", by=user,
                               effective_from=dt.date(2020, 1, 1))
        Certification.objects.create(organisation=organisation, holder=user, scheme_version=version, number="B-1",
                                     recertification_date=dt.date(2027, 6, 1))
        rng = random.Random(7)
        activities = Activity.objects.bulk_create([
            Activity(organisation=organisation, owner=user, type_code=rng.choice(TYPES),
                     date=dt.date(2023, 7, 1) + dt.timedelta(days=rng.randrange(1200)),
                     quantity=Decimal(rng.randint(1, 3)), title=f"Activity {i}") for i in range(500)])
        for i in range(200):
            evidence = Evidence(organisation=organisation, owner=user, activity=activities[i], original_name=f"{i}.pdf",
                                content_type="application/pdf", size=9, sha256="0" * 64)
            evidence.file.save(f"{i}.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            evidence.save()
    return organisation, user


def rate(client: object, url: str, seconds: float) -> tuple[float, int]:
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        count += 1
    return count / (time.perf_counter() - started), count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    from prepare_services import prepare_postgres

    prepare_postgres()
    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    setup_test_environment()
    organisation, user = populate()
    client = Client()
    client.force_login(user)
    dashboard, trivial = f"/{organisation.slug}/", "/profile/"
    for url in (dashboard, trivial):  # warm up
        client.get(url)
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        body = client.get(dashboard).content.decode()
    assert "Certificate B-1" in body
    dash_rate, dash_n = rate(client, dashboard, args.seconds)
    trivial_rate, trivial_n = rate(client, trivial, args.seconds)
    print(f"dashboard (500 activities, 200 evidence files): {dash_rate:.1f} req/s ({dash_n} requests), "
          f"{len(executed)} queries per request")
    print(f"trivial signed-in page (/profile/): {trivial_rate:.1f} req/s ({trivial_n} requests)")
    print(f"dashboard / trivial = {dash_rate / trivial_rate:.0%} (target at least 30%)")


if __name__ == "__main__":
    main()
