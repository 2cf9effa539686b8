"""Forms of the certifying body's screens: they check input only; the services check the rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from certificates.models import Appeal, Certificate, Decision


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision"), choices=Decision.Outcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                              help_text=_("The professional receives these reasons with the decision."))
    starts_on = forms.DateField(label=_("New period starts on"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}),
                                help_text=_("For a renewal: by default the previous expiry when decided before it, "
                                            "else today."))

    def __init__(self, *args: Any, show_start: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_start:
            del self.fields["starts_on"]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             required=False)


class SuspendForm(ReasonForm):
    until = forms.DateField(label=_("Suspended until"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("The certificate is reinstated the day after this date."))


class RegisterEntryForm(forms.ModelForm):
    class Meta:
        model = Certificate
        fields = ["register", "city"]
        help_texts = {"city": _("Shown in the public register, so people can find a professional near them.")}
        widgets = {"register": forms.Select(attrs={"class": "form-select"}),
                   "city": forms.TextInput(attrs={"class": "form-control"})}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class AppealForm(forms.Form):
    grounds = forms.CharField(label=_("Grounds of your appeal"), widget=forms.Textarea(attrs={"rows": 8}),
                              max_length=10000, help_text=_("Explain why you think the decision is wrong."))
    files = MultipleFileField(  # type: ignore[assignment]  # a declared field: the form metaclass takes it off the class
       label=_("Supporting files (optional)"), required=False,
                              help_text=_("PDF, PNG, JPEG, DOCX or ODT."))


class AppealDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), widget=forms.RadioSelect, choices=[
        (Appeal.Status.UPHELD, Appeal.Status.UPHELD.label), (Appeal.Status.DISMISSED, Appeal.Status.DISMISSED.label)])
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                              help_text=_("The candidate receives these reasons."))


class RegisterSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    number = forms.CharField(label=_("Certificate number"), required=False, max_length=64)
    scope = forms.ChoiceField(label=_("Scope"), required=False)
    city = forms.CharField(label=_("City"), required=False, max_length=100)

    def __init__(self, *args: Any, scopes: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scopes:
            cast(forms.ChoiceField, self.fields["scope"]).choices = [("", _("Any")), *scopes]
        else:
            del self.fields["scope"]


class CertificateFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or number"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from portfolios.models import Certification

        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["status"]).choices = [("", _("Any")), *Certification.Status.choices]


class VerifyForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=20,
                           help_text=_("The code printed on the certificate, e.g. ABCD-EFGH-JKMN."))
