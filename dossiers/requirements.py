"""The requirement kinds a dossier section asks for, in one registry.

A scheme's section lists requirements; each has a `KIND` (the rules engine's definition: document, statement,
questions, declaration, choice, points_summary). Everything the Django side does differently per kind is
here, once, in that kind's `RequirementKind`:

- `state`: the checklist's verdict (started, complete, what is missing) from what the dossier holds, and
  optionally a `summary` in a few words that the checklist's badge shows instead of "Draft" (points);
- `fields` and `values`: the section form's fields, and what a valid form hands the service;
- `save`: what the service stores for it (normalised and checked), or None when the section form does not
  edit it (documents are uploads, statements are signed by others, points come from the activity log);
- `snapshot`: its part of the submission's frozen snapshot, and `pdf`: that part arranged for the PDF
  template, whose partial is `pdf_partial` (templates/dossiers/pdf/requirements/<kind>.html).

A new kind is one `register(RequirementKind(...))` here (and its partial); nothing else dispatches on kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from dossiers.models import Evidence, StatementRequest
from portfolios import reports

if TYPE_CHECKING:
    from dossiers.services.dossiers import PointsSummary, RequirementState

SEPARATOR = "__"


def field_name(requirement: str, part: str = "") -> str:
    """The section form's field name for a requirement (and one of its parts: a question, a checkbox)."""
    return f"{requirement}{SEPARATOR}{part}" if part else requirement


@dataclass
class CountLine:
    """One number a statement requirement asks for: signed statements, or "yes" answers to a field."""

    label: str
    needed: int
    have: int

    @property
    def met(self) -> bool:
        return self.have >= self.needed


def count(value: int | str | None, values: Mapping[str, int]) -> int:
    """A requirement's number: literal, or a year-table column of the section (1 when the table is silent)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return int(values.get(value, 1))


@dataclass
class Held:
    """What the dossier holds for one requirement, for its kind's `state`."""

    data: dict[str, Any]
    statements: list[StatementRequest]
    evidence: list[Evidence]
    values: dict[str, int]
    points: PointsSummary | None


FormField = tuple[str, forms.Field]


@dataclass(frozen=True)
class RequirementKind:
    code: str
    state: Callable[[RequirementState, Any, Held], None]
    snapshot: Callable[[RequirementState, dict[str, Any] | None], dict[str, Any]]
    fields: Callable[[Any, dict[str, Any]], list[FormField]] | None = None
    values: Callable[[Any, Mapping[str, Any]], dict[str, Any]] | None = None
    save: Callable[[Any, dict[str, Any], dict[str, Any], str], dict[str, Any]] | None = None
    pdf: Callable[[dict[str, Any], PdfParts], None] = field(default=lambda entry, parts: None)

    @property
    def pdf_partial(self) -> str:
        return f"dossiers/pdf/requirements/{self.code}.html"


@dataclass
class PdfParts:
    """The snapshot's files and statements by id, and how it turns ISO moments back into dates."""

    files: dict[int, dict[str, Any]]
    statements: dict[int, dict[str, Any]]
    when: Callable[[str | None], Any]


KINDS: dict[str, RequirementKind] = {}


def register(kind: RequirementKind) -> RequirementKind:
    KINDS[kind.code] = kind
    return kind


def kind_of(requirement: Any) -> RequirementKind:
    """The registered kind of a scheme requirement (or of a snapshot entry's "kind")."""
    return KINDS[requirement if isinstance(requirement, str) else requirement.KIND]


# --- document: uploaded files (dossiers/services/evidence.py) ----------------------------------------------

def _document_state(state: RequirementState, spec: Any, held: Held) -> None:
    state.evidence = held.evidence
    state.started = state.complete = bool(held.evidence)
    if not held.evidence:
        state.missing.append(_("upload the %(document)s.") % {"document": state.label})


def _document_pdf(entry: dict[str, Any], parts: PdfParts) -> None:
    entry["files"] = [parts.files[pk] for pk in entry["files"] if pk in parts.files]


register(RequirementKind(
    code="document", state=_document_state, pdf=_document_pdf,
    snapshot=lambda state, points: {"files": [item.pk for item in state.evidence]}))


# --- statement: signed by a third party (dossiers/services/statements.py) --------------------------------

def statement_details(requirement: Any, statement: StatementRequest) -> list[tuple[str, str]]:
    """(field label, value in words) for each field the signer filled in, in the requirement's order."""
    values = statement.fields or {}
    details = []
    for item in requirement.fields:
        if item.code not in values or values[item.code] in (None, ""):
            continue
        value = values[item.code]
        if item.type == "boolean":
            text = str(_("yes") if value is True else _("no"))
        elif item.type == "date":
            try:
                text = reports.date(dt.date.fromisoformat(str(value)))
            except ValueError:
                text = str(value)
        else:
            text = str(value)
        details.append((reports.label(item.label, item.code), text))
    return details


def _statement_state(state: RequirementState, spec: Any, held: Held) -> None:
    statements = held.statements
    state.statements = statements
    for statement in statements:  # what each signed statement says (meeting date, situation brought in…)
        statement.details = statement_details(spec, statement)  # type: ignore[attr-defined]  # for the template
    state.signer = reports.label(spec.signer)
    signed = [s for s in statements if s.status == StatementRequest.Status.SIGNED]
    state.started = any(s.status != StatementRequest.Status.WITHDRAWN for s in statements)
    needed = count(spec.count, held.values)
    state.counts.append(CountLine(_("Signed statements"), needed, len(signed)))
    if len(signed) < needed:
        state.missing.append(ngettext(
            "get %(missing)s more signed statement: %(statement)s (%(needed)s required, %(signed)s signed so "
            "far).",
            "get %(missing)s more signed statements: %(statement)s (%(needed)s required, %(signed)s signed so "
            "far).", needed - len(signed)) % {"missing": needed - len(signed), "statement": state.label,
                                               "needed": needed, "signed": len(signed)})
    for item in spec.fields:
        if item.type != "boolean" or item.count_true is None:
            continue
        wanted = count(item.count_true, held.values)
        have = sum(1 for s in signed if (s.fields or {}).get(item.code) is True)
        field_label = reports.label(item.label, item.code)
        state.counts.append(CountLine(field_label, wanted, have))
        if have < wanted:
            state.missing.append(ngettext(
                "%(missing)s more signed statement must confirm “%(field)s” (%(needed)s required, %(have)s so "
                "far).",
                "%(missing)s more signed statements must confirm “%(field)s” (%(needed)s required, %(have)s so "
                "far).", wanted - have) % {"field": field_label, "missing": wanted - have, "needed": wanted,
                                           "have": have})
    state.complete = not state.missing


def _statement_snapshot(state: RequirementState, points: dict[str, Any] | None) -> dict[str, Any]:
    return {"signer": state.signer,
            "counts": [{"label": line.label, "needed": line.needed, "have": line.have} for line in state.counts],
            "statements": [item.pk for item in state.statements]}


def _statement_pdf(entry: dict[str, Any], parts: PdfParts) -> None:
    entry["statements"] = [parts.statements[pk] for pk in entry["statements"] if pk in parts.statements]


register(RequirementKind(code="statement", state=_statement_state, snapshot=_statement_snapshot,
                         pdf=_statement_pdf))


# --- questions: text answers and references to the professional profile ------------------------------------

def _questions_state(state: RequirementState, spec: Any, held: Held) -> None:
    answers = held.data.get("answers", {})
    references = held.data.get("references", [])
    unanswered = [q for q in spec.questions if not str(answers.get(q.code, "")).strip()]
    state.started = bool(references) or any(str(text).strip() for text in answers.values())
    if unanswered:
        state.missing.append(_("%(count)s of %(total)s questions of “%(requirement)s” still unanswered.")
                             % {"count": len(unanswered), "total": len(spec.questions), "requirement": state.label})
    if len(references) < spec.profile_references_min:
        state.missing.append(ngettext(
            "refer to at least %(count)s part of the professional profile (%(have)s so far).",
            "refer to at least %(count)s parts of the professional profile (%(have)s so far).",
            spec.profile_references_min) % {"count": spec.profile_references_min, "have": len(references)})
    state.complete = not state.missing


def _questions_fields(spec: Any, stored: dict[str, Any]) -> list[FormField]:
    answers = stored.get("answers", {})
    fields: list[FormField] = [
        (field_name(spec.code, question.code), forms.CharField(
            label=reports.label(question.label, question.code), required=False, strip=False,
            help_text=reports.label(question.description), initial=answers.get(question.code, ""),
            widget=forms.Textarea(attrs={"rows": 6})))
        for question in spec.questions]
    if spec.profile_references_min:
        fields.append((field_name(spec.code, "references"), forms.CharField(
            label=gettext_lazy("Parts of the professional profile this refers to"), required=False,
            initial="\n".join(stored.get("references", [])),
            help_text=gettext_lazy("One part per line, as the profile names it. At least %(count)s.")
            % {"count": spec.profile_references_min},
            widget=forms.Textarea(attrs={"rows": 3}))))
    return fields


def _questions_values(spec: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"answers": {q.code: data.get(field_name(spec.code, q.code)) or "" for q in spec.questions},
            "references": (data.get(field_name(spec.code, "references")) or "").splitlines()}


def _questions_save(spec: Any, given: dict[str, Any], before: dict[str, Any], now: str) -> dict[str, Any]:
    known = {question.code for question in spec.questions}
    answers = {key: str(text) for key, text in (given.get("answers") or {}).items() if key in known}
    references: list[str] = []
    for reference in given.get("references") or []:
        reference = " ".join(str(reference).split())
        if reference and reference.casefold() not in {item.casefold() for item in references}:
            references.append(reference)
    return {"answers": answers, "references": references}


def _questions_snapshot(state: RequirementState, points: dict[str, Any] | None) -> dict[str, Any]:
    answers = state.data.get("answers", {})
    return {"questions": [{"code": q.code, "label": reports.label(q.label, q.code), "answer": answers.get(q.code, "")}
                          for q in state.spec.questions],
            "references": list(state.data.get("references", [])),
            "references_min": state.spec.profile_references_min}


register(RequirementKind(code="questions", state=_questions_state, fields=_questions_fields,
                         values=_questions_values, save=_questions_save, snapshot=_questions_snapshot))


# --- declaration: boxes to tick (each keeps the moment it was first ticked) -------------------------------

def _declaration_state(state: RequirementState, spec: Any, held: Held) -> None:
    ticked = held.data.get("ticked", {})
    state.started = bool(ticked)
    for checkbox in spec.checkboxes:
        if checkbox.code not in ticked:
            state.missing.append(_("tick “%(checkbox)s”.") % {"checkbox": reports.label(checkbox.label)})
    state.complete = not state.missing


def ticked_on(when: str | None) -> str:
    if not when:
        return ""
    moment = timezone.localtime(dt.datetime.fromisoformat(when))
    return str(_("Ticked on %(moment)s.") % {"moment": formats.date_format(moment, "DATETIME_FORMAT")})


def _declaration_fields(spec: Any, stored: dict[str, Any]) -> list[FormField]:
    ticked = stored.get("ticked", {})
    return [(field_name(spec.code, checkbox.code), forms.BooleanField(
        label=reports.label(checkbox.label, checkbox.code), required=False, initial=checkbox.code in ticked,
        help_text=ticked_on(ticked.get(checkbox.code)))) for checkbox in spec.checkboxes]


def _declaration_values(spec: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"ticked": [box.code for box in spec.checkboxes if data.get(field_name(spec.code, box.code))]}


def _declaration_save(spec: Any, given: dict[str, Any], before: dict[str, Any], now: str) -> dict[str, Any]:
    known = {checkbox.code for checkbox in spec.checkboxes}
    was = before.get("ticked", {})
    return {"ticked": {box: was.get(box) or now for box in given.get("ticked") or [] if box in known}}


def _declaration_snapshot(state: RequirementState, points: dict[str, Any] | None) -> dict[str, Any]:
    ticked = state.data.get("ticked", {})
    return {"checkboxes": [{"code": box.code, "label": reports.label(box.label, box.code),
                            "ticked_at": ticked.get(box.code)} for box in state.spec.checkboxes]}


def _declaration_pdf(entry: dict[str, Any], parts: PdfParts) -> None:
    entry["checkboxes"] = [{**box, "ticked_at": parts.when(box["ticked_at"])} for box in entry["checkboxes"]]


register(RequirementKind(code="declaration", state=_declaration_state, fields=_declaration_fields,
                         values=_declaration_values, save=_declaration_save, snapshot=_declaration_snapshot,
                         pdf=_declaration_pdf))


# --- choice: one option, or several --------------------------------------------------------------------------

def _choice_state(state: RequirementState, spec: Any, held: Held) -> None:
    selected = held.data.get("selected", [])
    state.started = bool(selected)
    if len(selected) < spec.min_selected:
        if spec.multiple:
            state.missing.append(ngettext("choose at least %(count)s option for “%(requirement)s”.",
                                          "choose at least %(count)s options for “%(requirement)s”.",
                                          spec.min_selected) % {"count": spec.min_selected,
                                                                "requirement": state.label})
        else:
            state.missing.append(_("choose an option for “%(requirement)s”.") % {"requirement": state.label})
    state.complete = not state.missing


def _choice_fields(spec: Any, stored: dict[str, Any]) -> list[FormField]:
    choices = [(option.code, reports.label(option.label, option.code)) for option in spec.options]
    selected = stored.get("selected", [])
    label = reports.label(spec.label, spec.code)
    if spec.multiple:
        return [(spec.code, forms.MultipleChoiceField(label=label, choices=choices, required=False, initial=selected,
                                                      widget=forms.CheckboxSelectMultiple))]
    return [(spec.code, forms.ChoiceField(label=label, choices=choices, required=False,
                                          initial=selected[0] if selected else None, widget=forms.RadioSelect))]


def _choice_values(spec: Any, data: Mapping[str, Any]) -> dict[str, Any]:
    chosen = data.get(spec.code)
    return {"selected": list(chosen) if isinstance(chosen, list) else ([chosen] if chosen else [])}


def _choice_save(spec: Any, given: dict[str, Any], before: dict[str, Any], now: str) -> dict[str, Any]:
    options = {option.code for option in spec.options}
    selected = list(dict.fromkeys(given.get("selected") or []))
    unknown = [option for option in selected if option not in options]
    if unknown:
        raise ValidationError(_("%(option)s is not one of the options.") % {"option": unknown[0]}, code="option")
    if not spec.multiple and len(selected) > 1:
        raise ValidationError(_("Choose one option."), code="one_option")
    return {"selected": selected}


def _choice_snapshot(state: RequirementState, points: dict[str, Any] | None) -> dict[str, Any]:
    selected = state.data.get("selected", [])
    return {"options": [{"code": option.code, "label": reports.label(option.label, option.code),
                         "selected": option.code in selected} for option in state.spec.options]}


register(RequirementKind(code="choice", state=_choice_state, fields=_choice_fields, values=_choice_values,
                         save=_choice_save, snapshot=_choice_snapshot))


# --- points summary: the rules engine decides, from the activity log ----------------------------------------

def points_words(points: PointsSummary) -> str:
    """The points state in a few words, for the checklist's badge: "62 of 75 PE points; 13 to go", "Met: 80 of
    75 PE points" (the engine's counted total against its required total; a category still short says so)."""
    counted, unit = reports.number(points.counted), points.unit
    if points.required is None:
        if points.compliant:
            return _("Met: %(counted)s %(unit)s") % {"counted": counted, "unit": unit}
        return _("%(counted)s %(unit)s; not met yet") % {"counted": counted, "unit": unit}
    values = {"counted": counted, "required": reports.number(points.required), "unit": unit}
    if points.compliant:
        return _("Met: %(counted)s of %(required)s %(unit)s") % values
    if points.counted < points.required:
        return _("%(counted)s of %(required)s %(unit)s; %(missing)s to go") % {
            **values, "missing": reports.number(points.required - points.counted)}
    short = [category for category in points.categories if category.missing]
    if short:
        return ngettext("%(counted)s of %(required)s %(unit)s; %(missing)s to go in %(count)s category",
                        "%(counted)s of %(required)s %(unit)s; %(missing)s to go in %(count)s categories",
                        len(short)) % {**values, "count": len(short),
                                       "missing": reports.number(sum(c.missing for c in short))}
    return _("%(counted)s of %(required)s %(unit)s; not met yet") % values


def _points_state(state: RequirementState, spec: Any, held: Held) -> None:
    points = held.points
    if points is None:
        state.missing.append(_("the points cannot be counted until the certificate's dates are complete."))
    else:
        state.started = points.counted > 0
        state.summary = points_words(points)
        if not points.compliant:
            state.missing.extend(points.problems or [_("the points do not meet the scheme's requirements yet.")])
    state.complete = not state.missing


register(RequirementKind(code="points_summary", state=_points_state,
                         snapshot=lambda state, points: {"points": points}))
