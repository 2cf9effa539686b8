"""Benchmark: rendering the PDFs the workers render (WeasyPrint), each at two sizes: a submitted dossier's
(dossiers/tasks.py `render_pdf` on a snapshot built by `snapshot_build`) for a Noloc dossier with 30 and with
300 counted activities (one evidence file per ten), and an invoice's (billing/tasks.py `render_invoice`) with 3
and 30 lines, and a certificate's (certificates/tasks.py `render_certificate`, one page) with 1 and 4 scope entries.
Prints the median of each and t(large)/t(small); DOCUMENTS lists them.

Target (issue 14): 300 activities in under 2 s, and time growing linearly with the size (a ratio near
10, not more).

    .venv/bin/python bench/bench_pdf.py [--documents dossier invoice] [--sizes 30 300] [--runs 5]

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
from collections.abc import Callable
from dataclasses import dataclass
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


def dossier_document(size: int) -> "Document":
    """A Noloc dossier's PDF with `size` counted activities: rendered from its snapshot as the worker does."""
    from dossiers.tasks import render_pdf

    snapshot = snapshot_for(populate(size), size)
    return Document(render=lambda: render_pdf(snapshot),
                    detail=f"{size} activities, {len(snapshot['evidence'])} files")


def invoice_document(size: int) -> "Document":
    """A CMI invoice with `size` lines (one charge each, issued together): rendered as billing's worker does."""
    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance, tenant_context
    from billing import services
    from billing.models import BillingProfile, Charge, Invoice
    from billing.tasks import render_invoice
    from schemes.services import scheme_adopt

    slug = f"bench-pdf-invoice-{size}"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            print(f"Creating an invoice with {size} lines…", flush=True)
            organisation = Organisation.objects.create(slug=slug, name="PDF benchmark (invoices)")
            admin = User.objects.create_user(email=f"admin@{slug}.bench", first_name="Ada", last_name="Admin")
            holder = User.objects.create_user(email=f"pro@{slug}.bench", first_name="Pat", last_name="Professional")
            Membership.objects.create(organisation=organisation, user=holder, is_professional=True)
            version = scheme_adopt(organisation=organisation, code="cmi-register-loopbaanprofessional", by=admin,
                                   effective_from=dt.date(2020, 1, 1))
            profile = BillingProfile.objects.for_organisation(organisation).create(
                organisation=organisation, legal_name="Benchmark Certification B.V.", address="Voorbeeldstraat 1",
                postcode="3511 AB", city="Utrecht", country="NL", kvk_number="12345678", vat_number="NL000099998B57",
                iban="NL91ABNA0417164300", bic="ABNANL2A", invoice_prefix="BEN", payment_term_days=30,
                email="invoices@bench.example")
            ids = services.charges_claim([services.ChargeClaim(
                organisation_id=organisation.pk, customer_id=holder.pk, source_key=f"bench:{line}",
                trigger=Charge.Trigger.ORDER, version=version, fee_code="english-certificate", tax_point=TODAY)
                for line in range(size)])
            charges = list(Charge.objects.for_organisation(organisation).filter(pk__in=ids)
                           .select_related("customer").order_by("pk"))
            services.invoice_issue(profile=profile, charges=charges, by=admin, today=TODAY, notify=False)
    with tenant_context(organisation):
        invoice = Invoice.objects.for_organisation(organisation).get()
        assert len(list(invoice.line_items())) == size

    def render() -> bytes:
        with tenant_context(organisation):
            return render_invoice(invoice)

    return Document(render=render, detail=f"{size} lines")


def certificate_document(size: int) -> "Document":
    """A CMI certificate (one page, with its QR code) naming `size` of the scheme's scope options, rendered in
    Dutch as the worker renders it."""
    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance, tenant_context
    from certificates import services
    from certificates.models import Certificate
    from certificates.tasks import render_certificate
    from portfolios.models import Certification
    from schemes.services import scheme_adopt

    scope = ["career-guidance", "career-coaching", "outplacement", "reintegration-second-track"][:size]
    slug = f"bench-pdf-certificate-{size}"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            print(f"Creating a certificate with {size} scope entries…", flush=True)
            organisation = Organisation.objects.create(slug=slug, name="PDF benchmark (certificates)")
            holder = User.objects.create_user(email=f"pro@{slug}.bench", first_name="Pat", last_name="Professional")
            Membership.objects.create(organisation=organisation, user=holder, is_professional=True)
            version = scheme_adopt(organisation=organisation, code="cmi-register-loopbaanprofessional", by=holder,
                                   effective_from=dt.date(2020, 1, 1))
            certification = Certification.objects.create(
                organisation=organisation, holder=holder, scheme_version=version, number=f"CERT-{size}",
                issued_on=dt.date(2026, 3, 10), expires_on=dt.date(2029, 3, 10),
                recertification_date=dt.date(2029, 3, 10))
            services.certificate_ensure(certification, scope=scope)
    with tenant_context(organisation):
        certificate = (Certificate.objects.for_organisation(organisation)
                       .select_related("certification__holder", "certification__scheme_version",
                                       "certification__organisation").get())

    def render() -> bytes:
        with tenant_context(organisation):
            return render_certificate(certificate, "nl")

    return Document(render=render, detail=f"{size} scope entries")


@dataclass(frozen=True)
class Document:
    render: Callable[[], bytes]
    detail: str


# name → (builder of one document of a size, the sizes measured). A new PDF is one entry here: a function building
# its document for a size, and the sizes whose times and ratio to report.
DOCUMENTS: dict[str, tuple[Callable[[int], Document], tuple[int, ...]]] = {
    "dossier": (dossier_document, (30, 300)),
    "invoice": (invoice_document, (3, 30)),
    "certificate": (certificate_document, (1, 4)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--documents", nargs="+", choices=sorted(DOCUMENTS), default=list(DOCUMENTS))
    parser.add_argument("--sizes", type=int, nargs="+", help="the dossier's sizes (default: 30 300)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from prepare_services import prepare_postgres

    prepare_postgres()
    django.setup()
    from django.core.management import call_command

    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # its progress lines would bury the figures
    call_command("migrate", verbosity=0)
    for name in args.documents:
        build, sizes = DOCUMENTS[name]
        if name == "dossier" and args.sizes:
            sizes = tuple(args.sizes)
        documents = {size: build(size) for size in sizes}
        documents[sizes[0]].render()  # the first render loads fonts and templates
        medians, cpu_medians = {}, {}
        for size, document in documents.items():
            timings, cpu, pdf = [], [], b""
            for _ in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                pdf = document.render()
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
            assert pdf.startswith(b"%PDF-")
            medians[size] = statistics.median(timings)
            # CPU time too: on a machine shared with other work the wall time also holds the waits for a core.
            cpu_medians[size] = statistics.median(cpu)
            print(f"{name} PDF, {document.detail}: median {medians[size]:.2f} s of {args.runs} runs "
                  f"({', '.join(f'{t:.2f}' for t in timings)}), CPU {cpu_medians[size]:.2f} s, "
                  f"{len(pdf) / 1024:.0f} KiB")
        for size, median in medians.items():
            print(f"RESULT pdf.{name}-{size}={median:.3f} s")
            print(f"RESULT pdf.{name}-{size}-cpu={cpu_medians[size]:.3f} s")
        if len(sizes) >= 2:
            small, large = min(sizes), max(sizes)
            print(f"{name}: t({large})/t({small}) = {medians[large] / medians[small]:.1f} "
                  f"(linear growth: {large / small:.0f})")
            print(f"RESULT pdf.{name}-ratio-{large}-{small}={medians[large] / medians[small]:.2f} x")


if __name__ == "__main__":
    main()
