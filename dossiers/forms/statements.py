"""Forms for signed statements: the professional's request, and the signer's statement or refusal."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portfolios import reports
from schemes.rules import StatementRequirement

FIELD_PREFIX = "field_"


class StatementRequestForm(forms.Form):
    signer_name = forms.CharField(label=_("Signer's name"), max_length=200)
    signer_email = forms.EmailField(label=_("Signer's e-mail address"), max_length=254,
                                    help_text=_("The link to sign is sent here. It works once."))
    signer_role = forms.CharField(label=_("Signer's role"), max_length=120, required=False)
    message = forms.CharField(label=_("Message to the signer (optional)"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, signer_hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = int(settings.STATEMENT_MESSAGE_MAX_CHARS)
        message = cast(forms.CharField, self.fields["message"])
        message.max_length = limit
        message.validators.append(MaxLengthValidator(limit))
        message.widget.attrs["maxlength"] = str(limit)
        message.help_text = ngettext(
            "At most %(max)s character. It is sent as plain text, quoted as yours, with your name and e-mail "
            "address.",
            "At most %(max)s characters. It is sent as plain text, quoted as yours, with your name and e-mail "
            "address.", limit) % {"max": limit}
        if signer_hint:
            self.fields["signer_role"].help_text = _("Usually: %(signer)s") % {"signer": signer_hint}
            self.fields["signer_role"].widget.attrs["placeholder"] = signer_hint


class StatementSignForm(forms.Form):
    """The fields the statement type asks for, then the signature: typed name and confirmation."""

    signed_name = forms.CharField(label=_("Your full name, as your signature"), max_length=200)
    confirm = forms.BooleanField(label=_("I confirm that what I filled in above is true and complete."))

    def __init__(self, *args: Any, requirement: StatementRequirement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        signature = {name: self.fields.pop(name) for name in ("signed_name", "confirm")}
        for item in requirement.fields:
            label = reports.label(item.label, item.code)
            name = FIELD_PREFIX + item.code
            if item.type == "boolean":
                self.fields[name] = forms.BooleanField(label=label, required=False)
            elif item.type == "date":
                self.fields[name] = forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))
            elif item.type == "integer":
                self.fields[name] = forms.IntegerField(label=label, min_value=0)
            else:
                self.fields[name] = forms.CharField(label=label, max_length=2000,
                                                    widget=forms.Textarea(attrs={"rows": 2}))
        self.fields.update(signature)

    def statement_fields(self) -> dict[str, Any]:
        return {name.removeprefix(FIELD_PREFIX): value for name, value in self.cleaned_data.items()
                if name.startswith(FIELD_PREFIX)}


class StatementDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why do you decline?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("The requester sees this, so they can ask someone else or correct "
                                         "the request."))
