"""Demo billing for `manage.py seed_demo`: CMI's billing profile and four documents — an open invoice, a paid
one, an overdue one and a credited one with its credit note. Idempotent (nothing is added once CMI has
invoices). Runs inside `maintenance()`."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounts.models import Organisation, User
from billing import services
from billing.models import BillingProfile, Charge, Invoice, Payment
from schemes.models import SchemeVersion

SCHEME = "cmi-register-loopbaanprofessional"


def seed_billing_demo() -> None:
    organisation = Organisation.objects.filter(slug="cmi").first()
    holder = User.objects.filter(email="professional@cmi.demo").first()
    admin = User.objects.filter(email="admin@cmi.demo").first()
    if organisation is None or holder is None or admin is None:
        return
    profile, _created = BillingProfile.objects.for_organisation(organisation).get_or_create(
        organisation=organisation, defaults={
            "legal_name": "Stichting CMI (demo)", "address": "Voorbeeldstraat 1", "postcode": "3511 AB",
            "city": "Utrecht", "country": "NL", "kvk_number": "12345678", "vat_number": "NL000099998B57",
            "iban": "NL91ABNA0417164300", "bic": "ABNANL2A", "invoice_prefix": "CMI", "payment_term_days": 30,
            "email": "facturen@cmi.demo",
            "footer": "Demo-organisatie: deze facturen zijn voorbeelden en hoeven niet betaald te worden."})
    if Invoice.objects.for_organisation(organisation).exists():
        return
    version = SchemeVersion.objects.for_organisation(organisation).filter(code=SCHEME).order_by("-version").first()
    if version is None:
        return
    today = timezone.localdate()

    def issue(fee: str, key: str, on: dt.date, trigger: str) -> Invoice:
        ids = services.charges_claim([services.ChargeClaim(
            organisation_id=organisation.pk, customer_id=holder.pk, source_key=key, trigger=trigger,
            version=version, fee_code=fee, tax_point=on)])
        charges = list(Charge.objects.for_organisation(organisation).filter(pk__in=ids).select_related("customer"))
        return services.invoice_issue(profile=profile, charges=charges, by=admin, today=on, notify=False)

    documents = [  # (fee, claim key, tax point and issue date, trigger), issued in date order: numbers follow dates
        # Overdue: the English-language certificate, ordered two months ago.
        ("english-certificate", "demo:english-certificate", today - dt.timedelta(days=60), Charge.Trigger.ORDER),
        # Paid: this year's register contribution (the key the annual scan uses, so beat does not bill it again).
        ("annual-contribution", f"annual:{SCHEME}:annual-contribution:{today.year}:{holder.pk}",
         dt.date(today.year, 1, 1), Charge.Trigger.ANNUAL),
        # Credited: the book, ordered twice by mistake; this invoice is corrected by a credit note.
        ("book-loopbaanbegeleiding", "demo:book", today - dt.timedelta(days=20), Charge.Trigger.ORDER),
        # Open: the recertification fee, issued today.
        ("recertification", "demo:recertification", today, Charge.Trigger.SUBMISSION),
    ]
    issued = {fee: issue(fee, key, on, trigger) for fee, key, on, trigger in sorted(documents, key=lambda d: d[2])}
    paid = issued["annual-contribution"]
    services.payment_record(invoice=paid, amount=paid.total, paid_on=min(today, paid.issue_date + dt.timedelta(days=9)),
                            method=Payment.Method.TRANSFER, reference="DEMO-BANK-0001", by=admin)
    services.credit_note_issue(invoice=issued["book-loopbaanbegeleiding"], amounts=None, reason="Dubbel besteld",
                               by=admin, notify=False)
