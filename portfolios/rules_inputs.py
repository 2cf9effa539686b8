"""Turn database rows into the rules engine's plain inputs (the engine never sees a model)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast

from portfolios.models import Certification
from schemes import rules


def certification_context(certification: Certification, as_of: dt.date, **extra: Any) -> rules.CandidateContext:
    return rules.CandidateContext(
        as_of=as_of, exam_passed_on=certification.exam_passed_on,
        recertification_date=certification.recertification_date, cycle_start=certification.cycle_start,
        designation=certification.designation or None, **extra)


def activity_inputs(activities: QuerySet | Iterable) -> dict[int, list[rules.ActivityInput]]:
    """Activities grouped by owner id, as engine inputs (`ref` is the activity's primary key).

    From a queryset the details column is read as text and parsed only when it is not empty: most
    activities have none, and decoding hundreds of thousands of "{}" dominated the scheme preview.
    """
    grouped: dict[int, list[rules.ActivityInput]] = defaultdict(list)
    if isinstance(activities, QuerySet):
        rows = ((pk, owner, kind, day, quantity, {} if raw in (None, "{}") else json.loads(raw, parse_float=Decimal))
                for pk, owner, kind, day, quantity, raw in activities.annotate(
                    attributes_text=Cast("attributes", TextField())).values_list(
                    "pk", "owner_id", "type_code", "date", "quantity", "attributes_text"))
    else:
        rows = ((a.pk, a.owner_id, a.type_code, a.date, a.quantity, a.attributes) for a in activities)
    for pk, owner_id, type_code, date, quantity, attributes in rows:
        grouped[owner_id].append(rules.ActivityInput(type=type_code, date=date, quantity=quantity,
                                                     attributes=attributes or {}, ref=pk))
    return grouped
