"""What billing adds to the administrator's home (accounts/home.py): overdue invoices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.home import Waiting


def overdue_invoices(organisation: Any, today: dt.date) -> Waiting:
    from billing.models import Invoice

    count = Invoice.objects.for_organisation(organisation).filter(
        kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN, due_date__lt=today).count()
    return Waiting("overdue-invoices", _("Overdue invoices"), count,
                   ngettext("%(count)s invoice is past its due date.", "%(count)s invoices are past their due date.",
                            count) % {"count": count} if count else _("No invoice is overdue."),
                   reverse("invoice_list", kwargs={"org": organisation.slug}) + "?status=overdue",
                   urgent=bool(count))
