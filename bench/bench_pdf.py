"""Benchmark: rendering a submitted dossier's PDF (WeasyPrint, the worker's path: portfolios/tasks.py
`render_pdf` on a snapshot built by `snapshot_build`), for a Noloc dossier with 30 and with 300 counted
activities (one evidence file per ten). Prints the median of each and t(300)/t(30).

Target (issue 14): 300 activities in under 2 s, and time growing linearly with the activities (a ratio near
10, not more).

    .venv/bin/python bench/bench_pdf.py [--sizes 30 300] [--runs 5]

Runs against PostgreSQL (DATABASE_URL, default the `recert_bench` database) as the application role; the
dossiers are created once per size and never submitted (the snapshot is built, not stored).
"""

import argparse
import datetime as dt
import hashlib
import logging
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]
os.environ.setdefault("DATABASE_URL", "postgres://recert_app@127.0.0.1:5432/recert_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("MEDIA_ROOT", str(ROOT / "var" / "bench" / "media"))

import django  # noqa: E402

RECERTIFICATION = dt.date(2027, 6, 1)
TODAY = dt.date(2027, 1, 15)  # the day the dossier is "submitted": every activity lies before it, in the window


def populate(size: int) -> Any:
    """A Noloc professional with `size` course activities inside the four-year window and a draft dossier."""
    from django.core.files.base import ContentFile

    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance, tenant_context
    from dossiers.models import Dossier, Evidence
    from dossiers.services.dossiers import dossier_start
    from portfolios.models import Activity, Certification
    from schemes.services import scheme_adopt

    slug = f"bench-pdf-dossier-{size}"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            return Dossier.objects.select_related("certification", "scheme_version", "owner", "organisation").get(
                organisation=organisation)
        print(f"Creating a dossier with {size} activities…", flush=True)
        organisation = Organisation.objects.create(slug=slug, name="PDF benchmark")
        user = User.objects.create_user(email=f"pro@{slug}.bench", first_name="Pat", last_name="Professional")
        Membership.objects.create(organisation=organisation, user=user, is_professional=True)
        version = scheme_adopt(organisation=organisation, code="noloc-register-jobcoach", by=user,
                               effective_from=dt.date(2020, 1, 1))
        certification = Certification.objects.create(organisation=organisation, holder=user, scheme_version=version,
                                                     number=f"PDF-{size}", recertification_date=RECERTIFICATION)
        rng = random.Random(size)
        start = RECERTIFICATION - dt.timedelta(days=4 * 365 - 10)
        days = (TODAY - start).days - 5
        activities = Activity.objects.bulk_create([
            Activity(organisation=organisation, owner=user, type_code="course", quantity=Decimal(rng.randint(1, 8)),
                     date=start + dt.timedelta(days=rng.randrange(days)), title=f"Course number {i}",
                     provider="Benchmark academy", description="A day of training on coaching conversations.")
            for i in range(size)])
        for index, activity in enumerate(activities[::10]):
            content = b"%PDF-1.4\n% evidence " + str(index).encode() + b"\n"
            evidence = Evidence(organisation=organisation, owner=user, activity=activity,
                                original_name=f"certificate-{index}.pdf", content_type="application/pdf",
                                size=len(content), sha256=hashlib.sha256(content).hexdigest())
            evidence.file.save(f"certificate-{index}.pdf", ContentFile(content), save=False)
            evidence.save()
    with tenant_context(organisation):
        dossier, _created = dossier_start(certification=certification, by=user, today=TODAY)
    return dossier


def snapshot_for(dossier: Any, size: int) -> dict:
    from django.utils import timezone

    from accounts.tenancy import tenant_context
    from dossiers.services.dossiers import dossier_checklist
    from dossiers.services.submission import snapshot_build

    with tenant_context(dossier.organisation):
        checklist = dossier_checklist(dossier, today=TODAY)
        snapshot = snapshot_build(checklist, by=dossier.owner, submitted_at=timezone.now())
    assert len(snapshot["activities"]) == size, (len(snapshot["activities"]), size)
    return snapshot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 300])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from prepare_services import prepare_postgres

    prepare_postgres()
    django.setup()
    from django.core.management import call_command

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # its progress lines would bury the figures
    from dossiers.tasks import render_pdf

    call_command("migrate", verbosity=0)
    snapshots = {size: snapshot_for(populate(size), size) for size in args.sizes}
    render_pdf(snapshots[args.sizes[0]])  # the first render loads fonts and templates
    medians = {}
    for size, snapshot in snapshots.items():
        timings, pdf = [], b""
        for _ in range(args.runs):
            started = time.perf_counter()
            pdf = render_pdf(snapshot)
            timings.append(time.perf_counter() - started)
        assert pdf.startswith(b"%PDF-")
        medians[size] = statistics.median(timings)
        print(f"dossier PDF, {size} activities ({len(snapshot['evidence'])} files): median {medians[size]:.2f} s "
              f"of {args.runs} runs ({', '.join(f'{t:.2f}' for t in timings)}), {len(pdf) / 1024:.0f} KiB")
    for size, median in medians.items():
        print(f"RESULT pdf.dossier-{size}={median:.3f} s")
    if len(args.sizes) >= 2:
        small, large = min(args.sizes), max(args.sizes)
        print(f"t({large})/t({small}) = {medians[large] / medians[small]:.1f} (linear growth: {large / small:.0f})")
        print(f"RESULT pdf.ratio-{large}-{small}={medians[large] / medians[small]:.2f} x")


if __name__ == "__main__":
    main()
