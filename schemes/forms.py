import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_DEFINITION_BYTES = 1_000_000


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionMetaForm(forms.Form):
    effective_from = forms.DateField(label=_("Takes effect on"), widget=date_widget(),
                                     help_text=_("Dossiers started before this date keep the version they began with."))
    change_note = forms.CharField(label=_("What changed and why"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("effective_from", timezone.localdate())
        super().__init__(*args, **kwargs)


class AdoptForm(forms.Form):
    code = forms.SlugField(widget=forms.HiddenInput)
    effective_from = forms.DateField(label=_("Takes effect on"), widget=date_widget(),
                                     initial=timezone.localdate)


class DefinitionJSONForm(VersionMetaForm):
    definition = forms.CharField(label=_("Definition (JSON)"), widget=forms.Textarea(attrs={"rows": 30,
                                 "spellcheck": "false", "class": "font-monospace"}))

    def clean_definition(self) -> dict[str, Any]:
        return parse_definition_text(self.cleaned_data["definition"])


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Definition file (.json)"))

    def clean_file(self) -> dict[str, Any]:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_DEFINITION_BYTES:
            raise ValidationError(_("The file is larger than 1 MB; a scheme definition is much smaller."))
        try:
            text = upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(_("The file is not UTF-8 text; export a definition and upload that file.")) from None
        return parse_definition_text(text)


def parse_definition_text(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValidationError(_("This is not valid JSON: %(reason)s (line %(line)s, column %(column)s).")
                              % {"reason": error.msg, "line": error.lineno, "column": error.colno}) from None
    if not isinstance(data, dict):
        raise ValidationError(_("A definition is a JSON object ({ … })."))
    return data
