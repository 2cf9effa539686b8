import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Role, User

LOGO_MAX_BYTES = 512 * 1024


def logo_image_type(head: bytes) -> str | None:
    """The content type of a logo by its first bytes: PNG or JPEG, nothing else (no SVG scripts)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


class SignupNamesForm(forms.Form):
    """Extra fields on allauth's sign-up form: the names schemes print on certificates."""

    first_name = forms.CharField(label=_("First name"), max_length=150,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Surname"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))

    def signup(self, request: object, user: User) -> None:
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.save(update_fields=["first_name", "last_name"])


BIRTH_EARLIEST = dt.date(1900, 1, 1)
MINIMUM_AGE = 16


def latest_date_of_birth(today: dt.date) -> dt.date:
    """The latest plausible date of birth: 16 years before today (29 February → 28 February)."""
    try:
        return today.replace(year=today.year - MINIMUM_AGE)
    except ValueError:
        return today.replace(year=today.year - MINIMUM_AGE, day=28)


class ProfileForm(forms.ModelForm):
    """A person's own details. The date of birth must be plausible: from 1 January 1900 to 16 years ago."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "date_of_birth", "address", "phone", "preferred_language"]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = latest_date_of_birth(timezone.localdate())
        self.fields["date_of_birth"].widget.attrs.update(min=BIRTH_EARLIEST.isoformat(), max=latest.isoformat())

    def clean_date_of_birth(self) -> dt.date | None:
        born = self.cleaned_data.get("date_of_birth")
        latest = latest_date_of_birth(timezone.localdate())
        if born is not None and not BIRTH_EARLIEST <= born <= latest:
            raise ValidationError(_("Enter a date of birth from %(earliest)s to %(latest)s."), code="implausible",
                                  params={"earliest": date_format(BIRTH_EARLIEST, "DATE_FORMAT"),
                                          "latest": date_format(latest, "DATE_FORMAT")})
        return born


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.PROFESSIONAL)


class MembershipRolesForm(forms.Form):
    roles = forms.MultipleChoiceField(label=_("Roles"), choices=Role.choices,
                                      widget=forms.CheckboxSelectMultiple, required=False)


class OrganisationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "primary_colour", "logo", "default_language", "allow_join_requests"]
        widgets = {"primary_colour": forms.TextInput(attrs={"type": "color"})}

    def clean_logo(self) -> object:
        logo = self.cleaned_data.get("logo")
        if logo and getattr(logo, "size", 0) > LOGO_MAX_BYTES:
            raise ValidationError(_("The logo may be at most 512 KB."), code="too_large")
        if logo and hasattr(logo, "content_type"):  # a new upload
            head = logo.read(16)
            logo.seek(0)
            if logo_image_type(head) is None:
                raise ValidationError(_("Upload the logo as a PNG or JPEG image."), code="type")
        return logo


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


def form_add_errors(form: forms.BaseForm, error: ValidationError | Mapping[str, Sequence[str]], *,
                    field: str | None = None, prefix: str = "") -> None:
    """Put a service's ValidationError (or its worded problems per field) on a form, so a rejected form keeps
    its input and says why: each message on its field where the form shows it (`prefix` + name is tried too,
    for forms whose fields carry one), else on the form; an error for no field goes on `field` (default: the
    form). A message already on that field is not repeated."""
    if isinstance(error, ValidationError):
        errors = error.message_dict if hasattr(error, "error_dict") else {field or NON_FIELD_ERRORS: error.messages}
    else:
        errors = {name: list(texts) for name, texts in error.items()}
    for name, texts in errors.items():
        target = name if name in form.fields else prefix + name if prefix + name in form.fields else None
        for text in texts:
            if text not in form.errors.get(target or NON_FIELD_ERRORS, []):
                form.add_error(target, text)


class JoinRequestForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the administrators (optional)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example your membership number or who you work for, so they recognise you."))


class JoinRefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for refusing"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The person receives this by e-mail."))
