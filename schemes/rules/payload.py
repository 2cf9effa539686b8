"""The evaluation command's contract: a JSON-ready dict in, the report's dict out.

The Django management command ``evaluate_portfolio`` is a thin wrapper around ``evaluate_payload``; see
docs/rules-engine.md for the input and output formats.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from .activities import EARLIEST_ACTIVITY_DATE, ActivityInput, check_activity
from .definition import SchemeDefinition
from .engine import ANCHOR_FIELDS, CandidateContext, ContextError, earliest_activity_date, evaluate
from .fields import DATE_PATTERN
from .messages import render_message
from .shipped import shipped_definition, shipped_definitions

CONTEXT_KEYS = ("as_of", "designation", "dossier_kind", "level_changed", "dossier_submitted")
ACTIVITY_KEYS = ("type", "date", "quantity", "ref")


class PayloadError(ValueError):
    """The evaluation input is not valid; ``errors`` lists one sentence per problem."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


def _date(value: Any, where: str, errors: list[str]) -> dt.date | None:
    if isinstance(value, str) and DATE_PATTERN.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(f"{where} must be a date written as YYYY-MM-DD, not {value!r}.")
    return None


def _number(value: Any) -> Decimal | None:
    """A JSON number (or numeric string) as an exact Decimal; floats go through their shortest repr."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _attribute(value: Any) -> Any:
    """Attribute values as the engine expects them: floats become exact Decimals, the rest stays."""
    return Decimal(repr(value)) if isinstance(value, float) else value


def _activity(item: Any, index: int, errors: list[str]) -> ActivityInput | None:
    if not isinstance(item, dict):
        errors.append(f"activity {index}: must be an object.")
        return None
    kind = item.get("type")
    if not isinstance(kind, str) or not kind:
        errors.append(f'activity {index}: "type" is required (an activity type code).')
        return None
    day = _date(item.get("date"), f'activity {index} ({kind}): "date"', errors)
    quantity = _number(item.get("quantity"))
    if quantity is None:
        errors.append(
            f'activity {index} ({kind}): "quantity" must be a number, not {item.get("quantity")!r}.'
        )
    if day is None or quantity is None:
        return None
    attributes = {name: _attribute(value) for name, value in item.items() if name not in ACTIVITY_KEYS}
    return ActivityInput(
        type=kind, date=day, quantity=quantity, attributes=attributes, ref=item.get("ref", index)
    )


def evaluate_payload(
    payload: Any, defn: SchemeDefinition | None = None, *, today: dt.date | None = None
) -> dict[str, Any]:
    """Evaluate an input document and return the report as a JSON-ready dict.

    ``defn`` overrides the shipped definition named by ``payload["scheme"]`` (an organisation's own
    version). ``today`` is the default ``as_of`` (the local date when not given). Raises ``PayloadError``
    naming every problem: an unknown scheme, a missing or invalid date, an activity that breaks a rule
    (``activity 3 (mentoring): 16 points is above the per-activity maximum of 15``), including a quantity
    or a date that is not plausible.
    """
    if not isinstance(payload, dict):
        raise PayloadError(["The input must be a JSON object."])
    defn = _definition(payload, defn)
    errors: list[str] = []
    context = _context(payload, defn, today, errors)
    items = payload.get("activities", [])
    if not isinstance(items, list):
        errors.append('"activities" must be a list.')
        items = []
    earliest = earliest_activity_date(defn, context) if context is not None else EARLIEST_ACTIVITY_DATE
    activities = []
    for index, item in enumerate(items):
        activity = _activity(item, index, errors)
        if activity is not None:
            activities.append(activity)
            errors.extend(
                render_message(message, defn) for message in check_activity(defn, activity, index, earliest=earliest)
            )
    if errors or context is None:
        raise PayloadError(errors)
    try:
        report = evaluate(defn, context, activities)
    except ContextError as error:
        raise PayloadError([str(error)]) from error
    return report.to_dict()


def _definition(payload: dict[str, Any], defn: SchemeDefinition | None) -> SchemeDefinition:
    """The definition to evaluate with: the one given, or the shipped one the payload names."""
    scheme = payload.get("scheme")
    if defn is None:
        try:
            return shipped_definition(scheme if isinstance(scheme, str) else "")
        except KeyError:
            known = ", ".join(sorted(shipped_definitions()))
            raise PayloadError([f'Unknown scheme {scheme!r}; "scheme" must be one of: {known}.']) from None
    if scheme is not None and scheme != defn.code:
        raise PayloadError([f'The input is for the scheme {scheme!r}, not for "{defn.code}".'])
    return defn


def _context(
    payload: dict[str, Any], defn: SchemeDefinition, today: dt.date | None, errors: list[str]
) -> CandidateContext | None:
    """The candidate context the payload describes, or None after appending what is wrong to ``errors``."""
    found = len(errors)
    anchor = ANCHOR_FIELDS[defn.cycle.model]
    for name in payload:
        if name in ANCHOR_FIELDS.values() and name != anchor:
            errors.append(f'The {defn.code} scheme does not use "{name}"; it needs "{anchor}".')
        elif name not in (*CONTEXT_KEYS, anchor, "scheme", "activities"):
            errors.append(f'"{name}" is not a field of the evaluation input.')
    anchor_date = _date(payload.get(anchor), f'"{anchor}"', errors)
    as_of = (
        _date(payload["as_of"], '"as_of"', errors)
        if "as_of" in payload
        else (today or dt.datetime.now(dt.UTC).astimezone().date())
    )
    designation = payload.get("designation")
    if designation is not None and not isinstance(designation, str):
        errors.append(f'"designation" must be a code, not {designation!r}.')
    flags: dict[str, Any] = {anchor: anchor_date}
    for name in ("level_changed", "dossier_submitted"):
        flags[name] = payload.get(name, False)
        if not isinstance(flags[name], bool):
            errors.append(f'"{name}" must be true or false.')
    if len(errors) > found or anchor_date is None or as_of is None:
        return None
    return CandidateContext(
        as_of=as_of,
        designation=designation,
        dossier_kind=payload.get("dossier_kind", "recertification"),
        **flags,
    )
