"""Filters of the administrators' reminder log and refused-address list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from notifications.models import Reminder

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReminderFilterForm(forms.Form):
    """Lenient filters: a field that does not validate is shown with its error and left out of the filter."""

    q = forms.CharField(label=_("Search recipient or certificate number"), required=False, max_length=200,
                        widget=forms.TextInput(attrs={"type": "search"}))
    status = forms.ChoiceField(label=_("Status"), required=False)
    code = forms.ChoiceField(label=_("Reminder"), required=False)
    due_from = forms.DateField(label=_("Due from"), required=False, widget=DATE)
    due_to = forms.DateField(label=_("Due until"), required=False, widget=DATE)

    def __init__(self, data: Mapping[str, Any] | None = None, *, codes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Any status")), *Reminder.Status.choices]
        cast(forms.ChoiceField, self.fields["code"]).choices = [("", _("All reminders")), *codes]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("due_from"), cleaned.get("due_to")
        if start and end and end < start:
            self.add_error("due_to", _("The end date is before the start date."))
        return cleaned

    def filter(self, reminders: QuerySet[Reminder]) -> QuerySet[Reminder]:
        if not self.is_bound:
            return reminders
        self.is_valid()
        data = self.cleaned_data
        if query := (data.get("q") or "").strip():
            reminders = reminders.filter(
                Q(email__icontains=query) | Q(recipient__email__icontains=query)
                | Q(recipient__first_name__icontains=query) | Q(recipient__last_name__icontains=query)
                | Q(certification__number__icontains=query))
        if data.get("status"):
            reminders = reminders.filter(status=data["status"])
        if data.get("code"):
            reminders = reminders.filter(code=data["code"])
        if data.get("due_from"):
            reminders = reminders.filter(send_on__gte=data["due_from"])
        if data.get("due_to"):
            reminders = reminders.filter(send_on__lte=data["due_to"])
        return reminders


class UnsubscribeForm(forms.Form):
    """The confirm button's choice: stop the reminders, or receive them again."""

    action = forms.ChoiceField(choices=[("unsubscribe", "unsubscribe"), ("resubscribe", "resubscribe")],
                               widget=forms.HiddenInput)
