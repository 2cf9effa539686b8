"""What portfolios adds to the administrator's home (accounts/home.py): pending deletion requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.home import Waiting


def deletion_requests(organisation: Any, today: dt.date) -> Waiting:
    from portfolios.models import DeletionRequest

    count = DeletionRequest.objects.for_organisation(organisation).filter(
        status=DeletionRequest.Status.PENDING).count()
    return Waiting("deletion-requests", _("Deletion requests"), count,
                   ngettext("%(count)s request to delete personal data awaits your decision.",
                            "%(count)s requests to delete personal data await your decision.", count)
                   % {"count": count} if count else _("No deletion request is waiting."),
                   reverse("deletion_requests", kwargs={"org": organisation.slug}), urgent=bool(count))
