from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]

    operations = [*enable_rls(
        "billing_billingprofile", "billing_billingdetails", "billing_charge", "billing_invoice", "billing_invoiceline",
        "billing_payment", "billing_onlinepayment", "billing_statementimport", "billing_invoicereminder")]
