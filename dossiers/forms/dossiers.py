"""Forms for dossier sections, built from the scheme definition (each requirement kind's fields:
dossiers/requirements.py).

Forms only check input; whether a section is complete is the checklist's business (a draft may be partial).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from dossiers.requirements import kind_of
from schemes.rules import Section


class SectionForm(forms.Form):
    """Every editable requirement of one section: text answers and profile references, declaration boxes,
    choices. `requirement_fields(code)` gives the bound fields of one requirement for the template."""

    def __init__(self, *args: Any, section: Section, stored: dict[str, Any], readonly: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.section = section
        self._names: dict[str, list[str]] = {}
        for requirement in section.requirements:
            build = kind_of(requirement).fields
            names = self._names.setdefault(requirement.code, [])
            for name, form_field in build(requirement, stored.get(requirement.code, {})) if build else []:
                self.fields[name] = form_field
                names.append(name)
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
            read = kind_of(requirement).values
            if read is not None:
                values[requirement.code] = read(requirement, data)
        return values


class DossierStartForm(forms.Form):
    kind = forms.ChoiceField(choices=[("recertification", _("Recertification")),
                                      ("initial", _("Initial certification"))], initial="recertification")
