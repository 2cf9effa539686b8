"""Isolation-sweep registry for billing: professionals' invoices, administrators' billing pages, the webhook.

`mollie_webhook` is public (Mollie posts it without a session), so it is in PUBLIC — the anonymous check skips
it — and in ORG_SCOPED under org B's address, where a member of A must get 404 (GET: 405).
"""

import datetime as dt
from decimal import Decimal

from accounts.tenancy import maintenance
from billing.models import Invoice

PUBLIC = {"mollie_webhook"}
ORG_SCOPED = {
    "my_invoices": None,
    "my_invoice_detail": lambda w: {"pk": w.b["invoice"]},
    "invoice_pdf": lambda w: {"pk": w.b["invoice"]},
    "invoice_pay": lambda w: {"pk": w.b["invoice"]},
    "payment_return": lambda w: {"pk": w.b["invoice"]},
    "billing_details": None,
    "billing_order": None,
    "mollie_webhook": None,
    "billing_overview": None,
    "billing_profile": None,
    "invoice_list": None,
    "invoice_export": None,
    "invoice_detail": lambda w: {"pk": w.b["invoice"]},
    "credit_note_create": lambda w: {"pk": w.b["invoice"]},
    "payment_create": lambda w: {"pk": w.b["invoice"]},
    "statement_upload": None,
    "statement_apply": None,
}


def make_b_objects(world):
    today = dt.date.today()
    with maintenance():
        invoice = Invoice.objects.create(
            organisation=world.org_b, number=f"B-{today.year}-000001", year=today.year, sequence=1, issue_date=today,
            tax_point=today, due_date=today, currency="EUR", language="en", customer=world.b_user,
            customer_name="Charlie", customer_address="", customer_country="NL", customer_email="c@example.com",
            issuer_name="Bravo", issuer_address="", issuer_country="NL", issuer_kvk="12345678",
            issuer_vat="NL000099998B57", issuer_iban="NL91ABNA0417164300", payment_reference="RF00B",
            net_total=Decimal(10), vat_total=Decimal("2.10"), total=Decimal("12.10"))
    return {"invoice": invoice.pk}
