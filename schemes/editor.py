"""Edit a scheme definition through forms generated from the definition itself.

Every editable leaf becomes a field named by its path in the JSON (`categories[5].max`,
`activity_types.article.formula.points_per_item`, `sections[2].year_table.rows[1].values.meetings_required`),
the same paths the rules engine's validation errors use, so an error lands on the field it is about.
Structure (adding a category or an activity type, requirement texts, notes) is edited as JSON.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from schemes import rules

LANGUAGES = ("en", "nl", "nb")
NUMBER_KEYS = {
    "min", "max", "step", "activity_min", "activity_max", "period_min", "cycle_min", "amount",
    "consecutive_periods", "extends_by_years", "assessors", "years", "from_year", "vat_rate", "appeal_days",
    "percent", "points", "days", "due_working_days", "reminder_days_before", "reminder_days_after",
}
FORMULA_SKIP = {"kind", "unit", "attribute"}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SKIP_TOP = {"format", "code", "version", "notes", "quantity_units"}
# Coded values chosen from a list (a fee's VAT category and what bills it), and yes/no settings edited here.
CHOICES = {
    "vat_category": [("", _("from the VAT rate")), ("standard", _("standard rate")), ("reduced", _("reduced rate")),
                     ("zero", _("zero rate")), ("exempt", _("exempt"))],
    "on": [("submission", _("when a recertification dossier is submitted")),
           ("certification", _("when certification is applied for")), ("annual", _("every year on the reference date")),
           ("order", _("when the professional orders it"))],
    "disagreement": [("third_assessor", _("a third assessor decides")),
                     ("lead_assessor", _("the lead assessor decides"))],
}
YES_NO_KEYS = {"review_after_payment", "register_public", "first_submission", "previous_negative"}
# Review settings added to the format later: shown with their defaults when a saved version leaves them out.
REVIEW_DEFAULTS = {"due_working_days": 15, "reminder_days_before": 3, "reminder_days_after": 2,
                   "disagreement": "third_assessor"}
YES_NO = [("true", _("yes")), ("false", _("no"))]

GROUP_LABELS = {
    "label": _("Name"), "points": _("Points"), "cycle": _("Cycle"), "totals": _("Totals"),
    "categories": _("Categories"), "activity_types": _("Activity types"), "designations": _("Designations"),
    "sections": _("Dossier sections"), "review": _("Review"), "reminders": _("Reminders"),
    "validity": _("Validity"), "fees": _("Fees"), "prerequisites": _("Prerequisites"),
    "product_series": _("Product series"), "norm_documents": _("Norm documents"), "description": _("Description"),
    "certificate": _("Certificate"),
}
FIELD_LABELS = {
    "min": _("minimum"), "max": _("maximum"), "step": _("rounding step"), "activity_min": _("minimum per activity"),
    "activity_max": _("maximum per activity"), "period_min": _("minimum per period"),
    "cycle_min": _("minimum per cycle"), "amount": _("amount"),
    "consecutive_periods": _("consecutive compliant periods"),
    "extends_by_years": _("extends the certificate by (years)"), "assessors": _("independent assessors"),
    "appeal_days": _("days to appeal a refusal"),
    "register_public": _("public register lists holders unless they opt out"),
    "years": _("years"), "from_year": _("from year"), "vat_rate": _("VAT rate"), "factor": _("points per unit"),
    "points_per_item": _("points per item"), "per_year": _("points per year"),
    "per_candidate": _("points per candidate"),
    "per_half_day": _("points per half-day"), "per_day": _("points per day"), "label": _("name"),
    "label_plural": _("name (plural)"), "start": _("from"), "end": _("until"), "required_from": _("required from"),
    "reference_date": _("reference date"), "formula": _("formula"), "totals": _("totals"),
    "sub_caps": _("sub-cap"), "offsets": _("reminder"), "rows": _("row"), "values": "", "renewal": _("renewal"),
    "exemptions": _("exemption"), "year_table": _("year table"), "category_bounds": _("category bound"),
    "attributes": _("detail"), "evidence": _("evidence"), "items": "",
    "quantity_max": _("plausible maximum per activity"),
    "vat_category": _("VAT category"), "billing": _("billing"), "on": _("billed"),
    "review_after_payment": _("review starts only once paid"),
    "sample": _("sample"), "percent": _("percentage assessed"),
    "first_submission": _("always assess a first submission"),
    "previous_negative": _("always assess after a negative outcome"),
    "many_points": _("always assess many points in a short time"), "points": _("points"),
    "days": _("within days"), "due_working_days": _("time to assess (working days)"),
    "reminder_days_before": _("remind the assessor (days before the due date)"),
    "reminder_days_after": _("remind the assessor (days after the due date)"),
    "disagreement": _("when assessors still disagree"),
}


@dataclass
class Field:
    path: str
    kind: str  # "text", "decimal", "integer", "date"
    value: Any
    label: str
    required: bool = False
    errors: list[str] = field(default_factory=list)
    placeholder: str = ""  # what an empty field means (a default)
    hint: str = ""
    choices: list[tuple[str, StrOrPromise]] = field(default_factory=list)  # kind "choice": (value, label)

    @property
    def html_id(self) -> str:
        return "f-" + re.sub(r"[^A-Za-z0-9]+", "-", self.path).strip("-")

    @property
    def display_value(self) -> str:
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return "" if self.value is None else str(self.value)


@dataclass
class Group:
    title: str
    fields: list[Field]


def local_text(labels: Any, fallback: str) -> str:
    if isinstance(labels, dict):
        language = translation.get_language() or "en"
        return labels.get(language) or labels.get("en") or fallback
    return fallback


def _join(path: str, key: str | int) -> str:
    return f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else key)


def editable_groups(definition: dict[str, Any]) -> list[Group]:
    """The editable leaves of a definition, grouped by the item they belong to (a category, a type...)."""
    groups: dict[str, Group] = {}
    if isinstance(definition.get("review"), dict):
        definition = {**definition, "review": {**REVIEW_DEFAULTS, **definition["review"]}}

    def add(group_title: str, item: Field) -> None:
        groups.setdefault(group_title, Group(group_title, [])).fields.append(item)

    def walk(value: Any, path: str, group_title: str, trail: list[str], parent_key: str | None) -> None:
        if isinstance(value, dict):
            if parent_key in ("label", "label_plural") and "en" in value:
                for language in LANGUAGES:
                    add(group_title, Field(_join(path, language), "text", value.get(language),
                                           " · ".join([*trail, language.upper()]), required=language == "en"))
                return
            for key, child in value.items():
                if key in ("description", "text", "code", "path", "quantity_max"):
                    continue
                label = str(FIELD_LABELS.get(key, key))
                child_trail = [*trail, label] if label else trail
                if parent_key == "formula" and key in FORMULA_SKIP:
                    continue
                walk(child, _join(path, key), group_title, child_trail, key)
            return
        if isinstance(value, list):
            for index, child in enumerate(value):
                name = ""
                if isinstance(child, dict):
                    name = local_text(child.get("label"), child.get("code", str(index + 1)))
                if isinstance(child, dict) and "from_year" in child:
                    name = str(child["from_year"])
                walk(child, _join(path, index), group_title, [*trail, name] if name else trail, parent_key)
            return
        key = parent_key or ""
        if key in YES_NO_KEYS and isinstance(value, bool):
            add(group_title, Field(path, "choice", value, " · ".join(trail), choices=list(YES_NO)))
            return
        if key in CHOICES and (value is None or isinstance(value, str)):
            add(group_title, Field(path, "choice", value, " · ".join(trail), choices=list(CHOICES[key])))
            return
        if isinstance(value, bool):
            return
        if isinstance(value, int) and (key in NUMBER_KEYS or ".values." in path):
            add(group_title, Field(path, "integer", value, " · ".join(trail)))
        elif (value is None or isinstance(value, str)) and (key in NUMBER_KEYS or ".formula." in path):
            if value is None or _is_decimal(value):
                add(group_title, Field(path, "decimal", value, " · ".join(trail)))
        elif isinstance(value, str) and DATE_RE.match(value):
            add(group_title, Field(path, "date", value, " · ".join(trail)))

    for top, value in definition.items():
        if top in SKIP_TOP:
            continue
        if top in ("categories", "sections", "designations", "reminders", "fees") and isinstance(value, list):
            for index, item in enumerate(value):
                title = f"{GROUP_LABELS.get(top, top)}: {local_text(item.get('label'), item.get('code', index))}"
                walk(item, f"{top}[{index}]", title, [], None)
        elif top == "activity_types" and isinstance(value, dict):
            for code, item in value.items():
                title = f"{GROUP_LABELS[top]}: {local_text(item.get('label'), code)}"
                walk(item, f"{top}.{code}", title, [], None)
                add(title, _quantity_max_field(definition, code, item))
        elif top == "label":
            walk({"label": value}, "", str(GROUP_LABELS["label"]), [], None)
        else:
            walk(value, top, str(GROUP_LABELS.get(top, top)), [], top)
    return list(groups.values())


def _quantity_max_field(definition: dict[str, Any], code: str, item: dict[str, Any]) -> Field:
    """A type's plausibility bound per activity; empty means the default of its quantity unit (shown)."""
    formula = item.get("formula")
    unit = formula.get("unit", "") if isinstance(formula, dict) else ""
    units = {entry.get("code"): entry for entry in definition.get("quantity_units", []) if isinstance(entry, dict)}
    default = rules.default_quantity_max(unit)
    unit_label = local_text(units.get(unit, {}).get("label"), unit)
    hint = _("Empty: at most %(default)s (%(unit)s), the default for this unit. A larger quantity is refused as "
             "a mistake.") % {"default": formats.number_format(default, use_l10n=True), "unit": unit_label}
    return Field(f"activity_types.{code}.quantity_max", "decimal", item.get("quantity_max"),
                 str(FIELD_LABELS["quantity_max"]), placeholder=format(default, "f"), hint=str(hint))


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _tokens(path: str) -> list[str | int]:
    tokens: list[str | int] = []
    for part in re.finditer(r"([^.\[\]]+)|\[(\d+)\]", path):
        tokens.append(int(part.group(2)) if part.group(2) is not None else part.group(1))
    return tokens


def set_path(data: Any, path: str, value: Any) -> None:
    *parents, last = _tokens(path)
    target = data
    for token in parents:
        target = target[token]
    target[last] = value


def apply_form(definition: dict[str, Any], post: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A copy of `definition` with the posted values; conversion errors by path (nothing is changed in place)."""
    updated = copy.deepcopy(definition)
    errors: dict[str, list[str]] = {}
    for group in editable_groups(definition):
        for item in group.fields:
            if item.path not in post:
                continue
            raw = post.get(item.path, "").strip()
            try:
                set_path(updated, item.path, _convert(item, raw))
            except ValueError as error:
                errors.setdefault(item.path, []).append(str(error))
    return updated, errors


def _convert(item: Field, raw: str) -> Any:
    if item.kind == "choice":
        if raw not in {value for value, _label in item.choices}:
            raise ValueError(_("Choose one of the options."))
        if item.choices == YES_NO:
            return raw == "true"
        return raw or None
    if raw == "":
        if item.kind == "text":
            return "" if item.required else None
        return None
    if item.kind == "text":
        return raw
    if item.kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise ValueError(_("Enter a whole number.")) from None
    if item.kind == "decimal":
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("Enter a number, e.g. 10 or 1.5.")) from None
        if not number.is_finite():
            raise ValueError(_("Enter a number, e.g. 10 or 1.5."))
        return format(number.normalize(), "f") if number == number.to_integral() else str(number)
    try:
        return dt.date.fromisoformat(raw).isoformat()
    except ValueError:
        raise ValueError(_("Enter a date as YYYY-MM-DD.")) from None


def keep_typed(groups: list[Group], post: Any) -> None:
    """Show what the administrator typed, valid or not (a rejected form keeps its input)."""
    for group in groups:
        for item in group.fields:
            if item.path in post:
                item.value = post.get(item.path)


def attach_errors(groups: list[Group], errors: dict[str, list[str]]) -> list[str]:
    """Put errors on their fields; return those whose path matches no field (shown above the form)."""
    by_path = {item.path: item for group in groups for item in group.fields}
    loose: list[str] = []
    for path, messages in errors.items():
        target = by_path.get(path)
        if target is None:
            loose.extend(f"{path}: {message}" for message in messages)
        else:
            target.errors.extend(messages)
    return loose


# What one item of a top-level list is called in the list of changes ("Category “Contribution to the field”").
ITEM_LABELS = {
    "categories": _("Category"), "activity_types": _("Activity type"), "designations": _("Designation"),
    "sections": _("Dossier section"), "reminders": _("Reminder"), "fees": _("Fee"),
    "quantity_units": _("Quantity unit"), "prerequisites": _("Prerequisite"), "norm_documents": _("Norm document"),
}
PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")


@dataclass(frozen=True)
class ChangeRow:
    """One change between two versions as the administrator reads it: where (by label), before and after."""

    where: str
    old: Any
    new: Any
    path: str


def _item(container: Any, key: str) -> Any:
    """The list item with code ``key`` (or at position ``key``), or the object's member ``key``."""
    if isinstance(container, list):
        found = next((item for item in container if isinstance(item, dict) and item.get("code") == key), None)
        if found is None and key.isdigit() and int(key) < len(container):
            found = container[int(key)]
        return found
    return container.get(key) if isinstance(container, dict) else None


def _named(labels: Any, fallback: str) -> str:
    return f"“{local_text(labels, fallback)}”"


def change_label(old: dict[str, Any], new: dict[str, Any], path: str) -> str:
    """``categories[community].max`` → ``Category “Contribution to the professional group” · maximum``."""
    tokens = [(match.group(1), match.group(2)) for match in PATH_TOKEN.finditer(path)]
    if not tokens:
        return str(_("The whole definition"))
    parts: list[str] = []
    here_new: Any = new
    here_old: Any = old
    parent = ""
    for position, (name, bracket) in enumerate(tokens):
        key = name if name is not None else bracket
        next_new, next_old = _item(here_new, key), _item(here_old, key)
        item = next_new if next_new is not None else next_old
        if position == 0 and key in ITEM_LABELS:
            parts.append(str(GROUP_LABELS.get(key, key)))
        elif position == 1 and parent in ITEM_LABELS:
            parts[-1] = f"{ITEM_LABELS[parent]} {_named(item.get('label') if isinstance(item, dict) else None, key)}"
        elif parent in ("label", "label_plural", "text", "description") and key in LANGUAGES:
            parts.append(key.upper())
        elif isinstance(here_new if next_new is not None else here_old, list):
            if isinstance(item, dict) and ("label" in item or "code" in item):
                parts.append(_named(item.get("label"), str(item.get("code", key))))
            elif isinstance(item, dict) and "from_year" in item:
                parts.append(str(item["from_year"]))
            else:
                parts.append(str(int(key) + 1) if key.isdigit() else key)
        else:
            label = str(GROUP_LABELS[key]) if position == 0 and key in GROUP_LABELS else str(FIELD_LABELS.get(key, key))
            if label:
                parts.append(label)
        here_new, here_old, parent = next_new, next_old, key
    return " · ".join(parts)


def _shown(value: Any) -> Any:
    """A changed value as text: a list or object (a whole item added or removed) as compact JSON."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return value


def change_rows(old: dict[str, Any], new: dict[str, Any], changes: list[rules.Change]) -> list[ChangeRow]:
    """The engine's changes (by JSON path) as rows named by the definition's labels in the current language."""
    rows = []
    for change in changes:
        where = change_label(old, new, change.path)
        if change.kind == "reordered":
            where = str(_("%(where)s · order")) % {"where": where}
        rows.append(ChangeRow(where, _shown(change.old), _shown(change.new), change.path))
    return rows
