"""Forms of the administrators' pages (certifications, imports, compliance, deletion requests) and of
"your data". They check input only; rules across objects live in the services, which raise ValidationError."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from portfolios import csvio
from portfolios.models import Certification, DeletionRequest
from portfolios.services.certifications import SchemeFields


def date_field(label: Any, required: bool = False, help_text: Any = "") -> forms.DateField:
    return forms.DateField(label=label, required=required, help_text=help_text,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class SchemeChoiceForm(forms.Form):
    scheme = forms.ChoiceField(label=_("Scheme"))

    def __init__(self, *args: Any, schemes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scheme"]).choices = schemes


class CertificationForm(forms.Form):
    """A certification's fields; only those the scheme uses are kept (the date it counts from, designation,
    product series, membership), and those the scheme needs are required."""

    holder = forms.EmailField(label=_("Holder's e-mail address"),
                              help_text=_("A professional of this organisation."),
                              widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    number = forms.CharField(label=_("Certificate number"), max_length=64)
    issued_on = date_field(_("Issued on"))
    exam_passed_on = date_field(_("Exam passed on"), help_text=_("CPD years run from this date every year."))
    recertification_date = date_field(_("Recertification date"),
                                      help_text=_("Points count in the years before this date."))
    cycle_start = date_field(_("Cycle starts on"), help_text=_("The first day of the current CPD cycle."))
    designation = forms.ChoiceField(label=_("Designation"), required=False)
    product_series = forms.ChoiceField(label=_("Product series"), required=False)
    expires_on = date_field(_("Expires on"))
    membership_valid_until = date_field(_("Membership valid until"),
                                        help_text=_("CPD is closed to members without an active membership."))

    def __init__(self, *args: Any, scheme: SchemeFields, with_holder: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = {*scheme.shown, *(["holder"] if with_holder else [])}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        self.fields[scheme.anchor].required = True
        if "designation" in self.fields:
            cast(forms.ChoiceField, self.fields["designation"]).choices = [("", "—"), *scheme.designations]
            self.fields["designation"].required = True
        if "product_series" in self.fields:
            cast(forms.ChoiceField, self.fields["product_series"]).choices = [("", "—"), *scheme.series]
            self.fields["product_series"].required = scheme.series_required

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items() if name != "holder"}


class CertificationStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Certification.Status.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300,
                           help_text=_("Why the status changes; shown in the history."))


class CertificationFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name, e-mail or number"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    scheme = forms.ChoiceField(label=_("Scheme"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All statuses")), *Certification.Status.choices])
    expiring = forms.IntegerField(label=_("Expiring within (days)"), required=False, min_value=1, max_value=3650)

    def __init__(self, *args: Any, schemes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scheme"]).choices = [("", _("All schemes")), *schemes]


class CsvUploadForm(forms.Form):
    """A CSV file: at most 5 MB, UTF-8 (with or without BOM). `cleaned_data["file"]` is {name, text, sha256}."""

    file = forms.FileField(label=_("CSV file"), error_messages={"required": _("Choose a CSV file to check.")},
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}))

    def clean_file(self) -> dict[str, str]:
        upload = self.cleaned_data["file"]
        try:
            data = csvio.read_upload(upload)
            text = csvio.decode(data)
        except csvio.CsvError as error:
            raise ValidationError(str(error), code="file") from None
        return {"name": upload.name, "text": text, "sha256": hashlib.sha256(data).hexdigest()}


class ApplyForm(forms.Form):
    """Apply the file checked in the dry run (kept on the server for an hour under its SHA-256)."""

    token = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput)


class ComplianceFilterForm(forms.Form):
    SORTS = [("deadline", _("Deadline, soonest first")), ("-deadline", _("Deadline, latest first")),
             ("name", _("Name")), ("number", _("Certificate number"))]

    q = forms.CharField(label=_("Search by name, e-mail or number"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    scheme = forms.ChoiceField(label=_("Scheme"), required=False)
    risk_before = date_field(_("At risk before"),
                             help_text=_("Not compliant with a deadline on or before this date."))
    not_compliant = forms.BooleanField(label=_("Only those not compliant"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), choices=SORTS, required=False)

    def __init__(self, *args: Any, schemes: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["scheme"]).choices = [("", _("All schemes")), *schemes]


class DeletionRequestForm(forms.Form):
    reason = forms.CharField(label=_("Anything you want the organisation to know (optional)"), required=False,
                             max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class DeletionActionForm(forms.Form):
    CARRY_OUT, REFUSE = "carry_out", "refuse"

    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        (CARRY_OUT, _("Carry out the request")), (REFUSE, _("Refuse the request"))])
    note = forms.CharField(label=_("Note to the person"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Sent to them by e-mail. Required when you refuse."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == self.REFUSE and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why the request is refused; the person is told."))
        return cleaned


class DeletionFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All requests")), *DeletionRequest.Status.choices])
