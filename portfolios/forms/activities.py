"""Forms of the activity log: the activity form (fields follow the chosen type) and the list's filters.

Forms check input only (types, required fields, number formats). The scheme's rules — bounds on points,
minimum words, no future dates — are checked by portfolios.services.activities and worded by the engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from portfolios import reports
from portfolios.services.activities import (
    COMPLETED,
    ActivityData,
    ActivityDraft,
    TypeCatalogue,
    TypeInfo,
)
from schemes import rules

ATTRIBUTE_PREFIX = "attr_"
COMMON_FIELDS = ["date", "title", "provider", "description", "reflection"]


def _attribute_field(attribute: Any, label: str) -> forms.Field:
    """A form field for a type's attribute; its bounds are the engine's to check and word."""
    required = bool(attribute.required)
    if attribute.type == "integer":
        return forms.IntegerField(label=label, required=required, localize=True,
                                  widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    if attribute.type == "decimal":
        return forms.DecimalField(label=label, required=required, localize=True, max_digits=12, decimal_places=4,
                                  widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    if attribute.type == "boolean":
        return forms.BooleanField(label=label, required=False)
    return forms.CharField(label=label, required=required, max_length=500)


class ActivityForm(forms.Form):
    """Type first; then the quantity in the type's unit and the type's attributes; then the common fields."""

    type_code = forms.ChoiceField(label=_("Activity type"))
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           help_text=_("The day it took place (for longer activities: the day it ended)."))
    title = forms.CharField(label=_("Title"), max_length=200)
    provider = forms.CharField(label=_("Provider or organiser"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    reflection = forms.CharField(label=_("Reflection"), required=False,
                                 help_text=_("What you learned, and what you will do with it."),
                                 widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, data: Mapping[str, Any] | None = None, *, catalogue: TypeCatalogue,
                 type_code: str | None = None, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.catalogue = catalogue
        cast(forms.ChoiceField, self.fields["type_code"]).choices = [("", _("Choose an activity type…")),
                                                                     *catalogue.choices]
        if type_code is None:
            type_code = self.data.get("type_code") if self.is_bound else self.initial.get("type_code")
        self.type_info: TypeInfo | None = catalogue.get(type_code)
        self.attribute_names: list[str] = []
        if self.type_info is not None:
            self._add_type_fields(self.type_info)
        self.order_fields(["type_code", "quantity", *self.attribute_names, *COMMON_FIELDS])

    def _add_type_fields(self, info: TypeInfo) -> None:
        self.fields["quantity"] = forms.DecimalField(
            label=info.unit_label, max_digits=9, decimal_places=2, localize=True,
            help_text=_("A whole number.") if info.whole else "",
            widget=forms.TextInput(attrs={"inputmode": "numeric" if info.whole else "decimal"}))
        for attribute in info.attributes:
            name = ATTRIBUTE_PREFIX + attribute.code
            self.fields[name] = _attribute_field(attribute, reports.label(attribute.label, attribute.code))
            self.attribute_names.append(name)
            if attribute.code == COMPLETED:
                self.fields[name].initial = True
            stored = self.initial.get(name)
            if attribute.type == "decimal" and isinstance(stored, str):
                # Stored as a string in plain notation ("2.5"): shown as a number, in the user's format.
                number = rules.attribute_number("decimal", stored)
                self.initial[name] = stored if number is None else number
        if info.awarded_on_completion and ATTRIBUTE_PREFIX + COMPLETED not in self.fields:
            self.fields[ATTRIBUTE_PREFIX + COMPLETED] = forms.BooleanField(label=_("Completed"), required=False,
                                                                           initial=True)
            self.attribute_names.append(ATTRIBUTE_PREFIX + COMPLETED)
        if info.awarded_on_completion:
            self.fields[ATTRIBUTE_PREFIX + COMPLETED].help_text = _(
                "Points are awarded on completion; the date is the day you completed it.")

    @property
    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.attribute_names]

    @classmethod
    def keeping_input(cls, data: Mapping[str, Any], *, catalogue: TypeCatalogue) -> ActivityForm:
        """An unbound form showing what was typed, without errors (after choosing another type)."""
        form = cls(catalogue=catalogue, type_code=data.get("type_code", ""))
        # A checkbox that was not on the page (another type was shown) keeps its default; one that was shown
        # and left unticked is absent from the data too, so the shown type tells the two apart.
        same_type = data.get("shown_type") == data.get("type_code")
        form.initial = {name: field.widget.value_from_datadict(data, {}, name) for name, field in form.fields.items()
                        if name in data or (same_type and isinstance(field, forms.BooleanField))}
        return form

    def _attributes(self, cleaned: Mapping[str, Any]) -> dict[str, Any]:
        values = {}
        for name in self.attribute_names:
            value = cleaned.get(name)
            if value is not None and value != "":
                values[name.removeprefix(ATTRIBUTE_PREFIX)] = value
        return values

    def to_data(self) -> ActivityData:
        cleaned = self.cleaned_data
        return ActivityData(type_code=cleaned["type_code"], date=cleaned["date"], quantity=cleaned["quantity"],
                            title=cleaned["title"], provider=cleaned.get("provider", ""),
                            description=cleaned.get("description", ""), reflection=cleaned.get("reflection", ""),
                            attributes=self._attributes(cleaned))

    def draft(self) -> ActivityDraft:
        """What can be read from the form as typed so far (after `is_valid()`): the live preview's input."""
        cleaned = getattr(self, "cleaned_data", {})
        quantity = cleaned.get("quantity")
        day = cleaned.get("date")
        return ActivityDraft(type_code=cleaned.get("type_code", "") or "",
                             date=day if isinstance(day, dt.date) else None,
                             quantity=quantity if isinstance(quantity, Decimal) else None,
                             attributes=self._attributes(cleaned))


SORTS = [
    ("-date", _("Newest first")),
    ("date", _("Oldest first")),
    ("-points", _("Most points first")),
    ("points", _("Fewest points first")),
    ("type", _("Activity type")),
]


class ActivityFilterForm(forms.Form):
    """The list's filters; choices come from the professional's schemes and the engine's periods."""

    q = forms.CharField(label=_("Search title, provider or description"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    category = forms.ChoiceField(label=_("Category"), required=False)
    certification = forms.ChoiceField(label=_("Certification"), required=False)
    period = forms.ChoiceField(label=_("Period"), required=False)
    evidence_missing = forms.BooleanField(label=_("Only activities missing required evidence"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), choices=SORTS, required=False)

    def __init__(self, data: Mapping[str, Any] | None = None, *, categories: list[tuple[str, str]],
                 certifications: list[tuple[str, str]], periods: list[tuple[str, list[tuple[str, str]]]],
                 **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        cast(forms.ChoiceField, self.fields["category"]).choices = [("", _("All categories")), *categories]
        cast(forms.ChoiceField, self.fields["certification"]).choices = [("", _("All certifications")), *certifications]
        cast(forms.ChoiceField, self.fields["period"]).choices = [("", _("Any date")), *periods]

    def value(self, name: str) -> Any:
        """The field's cleaned value, or its empty value when what was sent is not valid (filters are lenient)."""
        if not self.is_bound:
            return ""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        return self.cleaned_data.get(name) or ""
