"""Benchmark: the administrator's invoice list with 10,000 invoices (issue 14, item 7), and a professional's own
list with 500 of them, served by gunicorn with production settings on PostgreSQL and loaded by wrk, next to a
trivial signed-in view in the same run (bench/harness.py says how). Both lists read one keyset page
(accounts/paging.keyset_page, settings.PAGE_SIZE rows) whatever the number of invoices, so their rate should not
depend on it; the query count is printed (tests/test_billing_pages.py asserts it is constant).

    .venv/bin/python bench/bench_invoices.py [--invoices 10000] [--seconds 5] [--rounds 3]

Data is created once per size in the benchmark database (DATABASE_URL, default `recert_bench`).
"""

import argparse
import datetime as dt
from decimal import Decimal
from typing import Any

import harness

OWN = 500  # invoices of the one professional whose own list is measured


def populate(invoices: int) -> tuple[Any, Any, Any]:
    """One organisation with `invoices` issued invoices over 400 customers (OWN of them to one professional),
    a third of them paid."""
    from accounts.models import Membership, Organisation, User
    from accounts.tenancy import maintenance
    from billing.models import Invoice

    slug = f"bench-invoices-{invoices}"
    admin_email, own_email = f"admin@{slug}.bench", f"pro@{slug}.bench"
    with maintenance():
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is not None:
            return organisation, User.objects.get(email=admin_email), User.objects.get(email=own_email)
        print(f"Creating {invoices:,} invoices…", flush=True)
        organisation = Organisation.objects.create(slug=slug, name="Invoice benchmark")
        admin = User.objects.create_user(email=admin_email, password="x", first_name="A", last_name="Admin")
        Membership.objects.create(organisation=organisation, user=admin, is_admin=True)
        own = User.objects.create_user(email=own_email, password="x", first_name="P", last_name="Pro")
        customers = [own, *User.objects.bulk_create([User(email=f"c{i}@{slug}.bench", first_name="C",
                                                          last_name=f"{i:04}", password="!") for i in range(399)])]
        Membership.objects.bulk_create([Membership(organisation=organisation, user=c, is_professional=True)
                                        for c in customers])
        start = dt.date(2024, 1, 1)
        rows = []
        for i in range(invoices):
            customer = own if i < OWN else customers[1 + i % 399]
            day = start + dt.timedelta(days=i * 1000 // invoices)
            rows.append(Invoice(
                organisation=organisation, number=f"{day.year}-{i + 1:06}", year=day.year, sequence=i + 1,
                issue_date=day, tax_point=day, due_date=day + dt.timedelta(days=30), currency="EUR", language="nl",
                customer=customer, customer_name=f"{customer.first_name} {customer.last_name}",
                customer_address="Straat 1\n1234 AB Plaats", customer_country="NL", customer_email=customer.email,
                issuer_name="Invoice benchmark", issuer_address="Weg 2\n1234 CD Stad", issuer_country="NL",
                issuer_kvk="12345678", issuer_vat="NL000000000B01", issuer_iban="NL91ABNA0417164300",
                payment_reference=f"RF{i:010}", net_total=Decimal("650.00"), vat_total=Decimal("136.50"),
                total=Decimal("786.50"), vat_breakdown=[{"rate": "21", "net": "650.00", "vat": "136.50"}],
                fee_codes="recertification", issued_by=admin,
                status=Invoice.Status.PAID if i % 3 == 0 else Invoice.Status.OPEN))
        Invoice.objects.bulk_create(rows, batch_size=2000)
    return organisation, admin, own


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=10_000, help="invoices in the organisation")
    harness.add_arguments(parser)
    args = parser.parse_args()
    environment = harness.setup()
    organisation, admin, own = populate(args.invoices)
    base = f"/{organisation.slug}"
    newest = f"{(dt.date(2024, 1, 1) + dt.timedelta(days=999)).year}-0"  # the first page's numbers (newest first)
    harness.measure(environment, [
        harness.Page(name=f"invoices-{args.invoices}", path=f"{base}/manage/billing/invoices/", user=admin,
                     label=f"invoice list ({args.invoices:,} invoices)", expect=newest),
        harness.Page(name=f"invoices-{args.invoices}-open", path=f"{base}/manage/billing/invoices/?status=open",
                     user=admin, label="invoice list, open ones", expect=newest),
        harness.Page(name=f"my-invoices-{OWN}", path=f"{base}/billing/invoices/", user=own,
                     label=f"a professional's invoices ({OWN})", expect="2024-000"),
    ], args)


if __name__ == "__main__":
    main()
