"""Forms for dossier sections, built from the scheme definition (questions, declarations, choices).

Forms only check input; whether a section is complete is the checklist's business (a draft may be partial).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from portfolios import reports
from schemes.rules import ChoiceRequirement, DeclarationRequirement, QuestionsRequirement, Section

SEPARATOR = "__"


def field_name(requirement: str, part: str = "") -> str:
    return f"{requirement}{SEPARATOR}{part}" if part else requirement


class SectionForm(forms.Form):
    """Every editable requirement of one section: text answers and profile references, declaration boxes,
    choices. `requirement_fields(code)` gives the bound fields of one requirement for the template."""

    def __init__(self, *args: Any, section: Section, stored: dict[str, Any], readonly: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section = section
        self._names: dict[str, list[str]] = {}
        for requirement in section.requirements:
            data = stored.get(requirement.code, {})
            names = self._names.setdefault(requirement.code, [])
            if isinstance(requirement, QuestionsRequirement):
                answers = data.get("answers", {})
                for question in requirement.questions:
                    name = field_name(requirement.code, question.code)
                    self.fields[name] = forms.CharField(
                        label=reports.label(question.label, question.code), required=False, strip=False,
                        help_text=reports.label(question.description), initial=answers.get(question.code, ""),
                        widget=forms.Textarea(attrs={"rows": 6}))
                    names.append(name)
                if requirement.profile_references_min:
                    name = field_name(requirement.code, "references")
                    self.fields[name] = forms.CharField(
                        label=_("Parts of the professional profile this refers to"), required=False,
                        initial="\n".join(data.get("references", [])),
                        help_text=_("One part per line, as the profile names it. At least %(count)s.")
                        % {"count": requirement.profile_references_min},
                        widget=forms.Textarea(attrs={"rows": 3}))
                    names.append(name)
            elif isinstance(requirement, DeclarationRequirement):
                ticked = data.get("ticked", {})
                for checkbox in requirement.checkboxes:
                    name = field_name(requirement.code, checkbox.code)
                    when = ticked.get(checkbox.code)
                    self.fields[name] = forms.BooleanField(
                        label=reports.label(checkbox.label, checkbox.code), required=False,
                        initial=checkbox.code in ticked, help_text=_ticked_on(when))
                    names.append(name)
            elif isinstance(requirement, ChoiceRequirement):
                choices = [(option.code, reports.label(option.label, option.code)) for option in requirement.options]
                selected = data.get("selected", [])
                label = reports.label(requirement.label, requirement.code)
                if requirement.multiple:
                    self.fields[requirement.code] = forms.MultipleChoiceField(
                        label=label, choices=choices, required=False, initial=selected,
                        widget=forms.CheckboxSelectMultiple)
                else:
                    self.fields[requirement.code] = forms.ChoiceField(
                        label=label, choices=choices, required=False, initial=selected[0] if selected else None,
                        widget=forms.RadioSelect)
                names.append(requirement.code)
        if readonly:
            for item in self.fields.values():
                item.disabled = True

    def requirement_fields(self) -> dict[str, list[forms.BoundField]]:
        return {code: [self[name] for name in names] for code, names in self._names.items()}

    def values(self) -> dict[str, dict[str, Any]]:
        """What the service stores, per requirement code."""
        data = self.cleaned_data
        values: dict[str, dict[str, Any]] = {}
        for requirement in self.section.requirements:
            code = requirement.code
            if isinstance(requirement, QuestionsRequirement):
                values[code] = {
                    "answers": {q.code: data.get(field_name(code, q.code)) or "" for q in requirement.questions},
                    "references": (data.get(field_name(code, "references")) or "").splitlines(),
                }
            elif isinstance(requirement, DeclarationRequirement):
                values[code] = {"ticked": [box.code for box in requirement.checkboxes
                                           if data.get(field_name(code, box.code))]}
            elif isinstance(requirement, ChoiceRequirement):
                chosen = data.get(code)
                values[code] = {"selected": list(chosen) if isinstance(chosen, list) else ([chosen] if chosen else [])}
        return values


def _ticked_on(when: str | None) -> str:
    if not when:
        return ""
    moment = timezone.localtime(dt.datetime.fromisoformat(when))
    return str(_("Ticked on %(moment)s.") % {"moment": formats.date_format(moment, "DATETIME_FORMAT")})


class DossierStartForm(forms.Form):
    kind = forms.ChoiceField(choices=[("recertification", _("Recertification")),
                                      ("initial", _("Initial certification"))], initial="recertification")
