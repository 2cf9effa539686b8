"""What notifications adds to the administrator's home (accounts/home.py): addresses the mail server refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.home import Waiting


def refused_addresses(organisation: Any, today: dt.date) -> Waiting:
    from accounts.models import DeliveryFailure

    count = DeliveryFailure.objects.for_organisation(organisation).count()
    return Waiting("refused-addresses", _("Refused e-mail addresses"), count,
                   ngettext("%(count)s address was refused by the mail server: its owner gets no mail.",
                            "%(count)s addresses were refused by the mail server: their owners get no mail.", count)
                   % {"count": count} if count else _("No address was refused."),
                   reverse("delivery_failures", kwargs={"org": organisation.slug}), urgent=bool(count))
