"""The Dutch VAT rates as dated data: standard 19% (2001-01-01 to 2012-09-30), 21% since 2012-10-01; reduced 6%
(1986-10-01 to 2018-12-31), 9% since 2019-01-01; zero and exempt 0%. Platform administrators add others in the
Django admin."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

RATES = [
    ("standard", "19", dt.date(2001, 1, 1), dt.date(2012, 9, 30), ""),
    ("standard", "21", dt.date(2012, 10, 1), None, ""),
    ("reduced", "6", dt.date(1986, 10, 1), dt.date(2018, 12, 31), ""),
    ("reduced", "9", dt.date(2019, 1, 1), None, "Raised from 6% on 1 January 2019"),
    ("zero", "0", dt.date(1969, 1, 1), None, ""),
    ("exempt", "0", dt.date(1969, 1, 1), None, ""),
]


def forward(apps, schema_editor):
    VatRate = apps.get_model("billing", "VatRate")
    for category, rate, start, end, note in RATES:
        VatRate.objects.update_or_create(country="NL", category=category, valid_from=start,
                                         defaults={"rate": Decimal(rate), "valid_until": end, "note": note})


def backward(apps, schema_editor):
    VatRate = apps.get_model("billing", "VatRate")
    for category, _rate, start, _end, _note in RATES:
        VatRate.objects.filter(country="NL", category=category, valid_from=start).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_issued_invoices_never_change")]

    operations = [migrations.RunPython(forward, backward)]
