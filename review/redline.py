"""The redline: what changed between two snapshot versions of a submission, in readable terms.

Sections are compared line by line (each question's answer, the references, the ticked boxes, the chosen
options, the files, the statements), a changed line word by word; statements by their requirement and signer;
activities by their id (added, removed, changed: which fields, points before and after); and the totals. Each
difference is a list of segments ("same", "added", "removed") that the template marks with <ins>/<del> and
words, so colour is never the only sign.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

WORDS = re.compile(r"\S+|\s+")


@dataclass
class Line:
    label: str
    segments: list[tuple[str, str]]  # ("same" | "added" | "removed", text)
    change: str  # "added", "removed", "changed"


@dataclass
class SectionChange:
    code: str
    label: str
    lines: list[Line] = field(default_factory=list)


@dataclass
class ActivityChange:
    id: int
    title: str
    change: str  # "added", "removed", "changed"
    fields: list[Line] = field(default_factory=list)
    points_before: str | None = None
    points_after: str | None = None


@dataclass
class Redline:
    before_version: int
    after_version: int
    sections: list[SectionChange]
    statements: list[Line]
    activities: list[ActivityChange]
    totals: list[Line]

    @property
    def empty(self) -> bool:
        return not (self.sections or self.statements or self.activities or self.totals)


def words(before: str, after: str) -> list[tuple[str, str]]:
    """`before` → `after` as segments, word by word (whitespace kept)."""
    old, new = WORDS.findall(before or ""), WORDS.findall(after or "")
    segments: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            segments.append(("same", "".join(old[i1:i2])))
            continue
        if op in ("delete", "replace"):
            segments.append(("removed", "".join(old[i1:i2])))
        if op in ("insert", "replace"):
            segments.append(("added", "".join(new[j1:j2])))
    return [segment for segment in segments if segment[1]]


def _line(label: str, before: str | None, after: str | None) -> Line | None:
    if (before or "") == (after or ""):
        return None
    if before is None:
        return Line(label, [("added", after or "")], "added")
    if after is None:
        return Line(label, [("removed", before)], "removed")
    return Line(label, words(before, after), "changed")


def _statement_text(statement: dict[str, Any]) -> str:
    parts = [f"{statement.get('signer_name') or ''} ({statement.get('signer_role') or ''}): "
             f"{statement.get('state') or ''}"]
    if statement.get("signed_at"):
        parts.append(_("signed %(when)s as %(name)s") % {"when": str(statement["signed_at"])[:10],
                                                        "name": statement.get("signed_name") or ""})
    for item in statement.get("fields") or []:
        value = item.get("value")
        parts.append(f"{item.get('label') or item.get('code')}: {'' if value is None else value}")
    return "; ".join(parts)


def _section_lines(section: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, str]:
    """label → text of everything a section holds."""
    files = {item["id"]: item for item in snapshot.get("evidence", [])}
    statements = {item["id"]: item for item in snapshot.get("statements", [])}
    lines: dict[str, str] = {}
    for requirement in section.get("requirements", []):
        name = requirement.get("label") or requirement.get("code") or ""
        for question in requirement.get("questions") or []:
            lines[f"{name} — {question.get('label') or question.get('code')}"] = question.get("answer") or ""
        if requirement.get("references"):
            lines[f"{name} — {_('references')}"] = "; ".join(str(r) for r in requirement["references"])
        if requirement.get("options"):
            lines[f"{name} — {_('chosen')}"] = ", ".join(o.get("label") or o.get("code") for o in requirement["options"]
                                                        if o.get("selected"))
        if requirement.get("checkboxes"):
            lines[f"{name} — {_('ticked')}"] = ", ".join(b.get("label") or b.get("code")
                                                        for b in requirement["checkboxes"] if b.get("ticked_at"))
        if requirement.get("files"):
            lines[f"{name} — {_('files')}"] = ", ".join(
                f"{files[pk]['name']} ({files[pk]['sha256'][:8]})" for pk in requirement["files"] if pk in files)
        if requirement.get("statements"):
            lines[f"{name} — {_('statements')}"] = " | ".join(
                _statement_text(statements[pk]) for pk in requirement["statements"] if pk in statements)
    return lines


def _sections(before: dict[str, Any], after: dict[str, Any]) -> list[SectionChange]:
    old = {s["code"]: s for s in before.get("sections", [])}
    changes = []
    for section in after.get("sections", []):
        previous = old.get(section["code"])
        was = _section_lines(previous, before) if previous else {}
        now = _section_lines(section, after)
        lines = [line for label in [*now, *(key for key in was if key not in now)]
                 if (line := _line(label, was.get(label), now.get(label))) is not None]
        if lines:
            changes.append(SectionChange(section["code"], section.get("label") or section["code"], lines))
    return changes


def _statement_key(statement: dict[str, Any]) -> tuple[str, str, str]:
    return (statement.get("section") or "", statement.get("requirement") or "", statement.get("signer_email") or "")


def _statements(before: dict[str, Any], after: dict[str, Any]) -> list[Line]:
    old: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for statement in before.get("statements", []):
        old.setdefault(_statement_key(statement), []).append(statement)
    new: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for statement in after.get("statements", []):
        new.setdefault(_statement_key(statement), []).append(statement)
    lines = []
    for key in [*new, *(k for k in old if k not in new)]:
        was, now = old.get(key, []), new.get(key, [])
        for index in range(max(len(was), len(now))):
            label = _("Statement for %(section)s by %(email)s") % {"section": key[0], "email": key[2]}
            line = _line(label, _statement_text(was[index]) if index < len(was) else None,
                         _statement_text(now[index]) if index < len(now) else None)
            if line is not None:
                lines.append(line)
    return lines


ACTIVITY_FIELDS = ("title", "type_label", "date", "quantity", "provider", "description", "reflection")


def _activity_fields(activity: dict[str, Any], snapshot: dict[str, Any]) -> dict[str, str]:
    labels = {"title": _("Title"), "type_label": _("Type"), "date": _("Date"), "quantity": _("Quantity"),
              "provider": _("Provider"), "description": _("Description"), "reflection": _("Reflection")}
    files = {item["id"]: item for item in snapshot.get("evidence", [])}
    values = {labels[key]: str(activity.get(key) or "") for key in ACTIVITY_FIELDS}
    values[_("Evidence")] = ", ".join(f"{files[pk]['name']} ({files[pk]['sha256'][:8]})"
                                      for pk in activity.get("evidence", []) if pk in files)
    values[_("Points")] = str(activity.get("counted") or activity.get("points") or "")
    return values


def _activities(before: dict[str, Any], after: dict[str, Any]) -> list[ActivityChange]:
    old = {a["id"]: a for a in before.get("activities", [])}
    new = {a["id"]: a for a in after.get("activities", [])}
    changes = []
    for pk in [*new, *(k for k in old if k not in new)]:
        was, now = old.get(pk), new.get(pk)
        points_before = (was.get("counted") or was.get("points")) if was else None
        points_after = (now.get("counted") or now.get("points")) if now else None
        title = (now or was or {}).get("title") or str(pk)
        if was is None or now is None:
            changes.append(ActivityChange(pk, title, "added" if was is None else "removed", [], points_before,
                                          points_after))
            continue
        before_fields, after_fields = _activity_fields(was, before), _activity_fields(now, after)
        lines = [line for label in after_fields if (line := _line(label, before_fields[label],
                                                                  after_fields[label])) is not None]
        if lines:
            changes.append(ActivityChange(pk, title, "changed", lines, points_before, points_after))
    return changes


def _totals(before: dict[str, Any], after: dict[str, Any]) -> list[Line]:
    old = (before.get("report_localised") or {}).get("points") or {}
    new = (after.get("report_localised") or {}).get("points") or {}
    lines = []
    for key, label in (("counted", _("Points counted")), ("required", _("Points required"))):
        line = _line(label, str(old.get(key) or ""), str(new.get(key) or ""))
        if line is not None:
            lines.append(line)
    yes, no = _("yes"), _("no")
    line = _line(_("Meets the points requirement"), (yes if old.get("compliant") else no) if old else "",
                 (yes if new.get("compliant") else no) if new else "")
    if line is not None:
        lines.append(line)
    return lines


def redline(before: dict[str, Any], after: dict[str, Any], before_version: int, after_version: int) -> Redline:
    return Redline(before_version, after_version, _sections(before, after), _statements(before, after),
                   _activities(before, after), _totals(before, after))
