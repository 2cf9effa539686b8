from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from review import rfi
from review.models import Relationship


class RelationshipForm(forms.ModelForm):
    class Meta:
        model = Relationship
        fields = ["kind", "name", "email", "note"]


class InformationRequestForm(forms.Form):
    """Up to MAX_QUESTIONS questions, each about one named part of the snapshot, and the answer date."""

    due_on = forms.DateField(label=_("Answer by"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, snapshot: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {"section": [], "statement": [], "activity": []}
        for target in rfi.targets(snapshot):
            groups[target.kind].append((target.value, target.label))
        names = {"section": _("Sections"), "statement": _("Statements"), "activity": _("Activities")}
        choices: list[Any] = [("", _("Choose what the question is about"))]
        choices += [(names[kind], entries) for kind, entries in groups.items() if entries]
        self.rows = []
        for number in range(1, rfi.MAX_QUESTIONS + 1):
            self.fields[f"target_{number}"] = forms.ChoiceField(
                label=_("Question %(number)s is about") % {"number": number}, choices=choices, required=False)
            self.fields[f"question_{number}"] = forms.CharField(
                label=_("Question %(number)s") % {"number": number}, required=False,
                max_length=rfi.QUESTION_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 2}))
            self.rows.append((self[f"target_{number}"], self[f"question_{number}"]))
        self.fields["due_on"] = self.fields.pop("due_on")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        questions = []
        for number in range(1, rfi.MAX_QUESTIONS + 1):
            target, question = data.get(f"target_{number}") or "", (data.get(f"question_{number}") or "").strip()
            if target and not question:
                self.add_error(f"question_{number}", _("Write the question, or leave the row empty."))
            elif question and not target:
                self.add_error(f"target_{number}", _("Choose what this question is about."))
            elif target:
                questions.append((target, question))
        if not questions and not self.errors:
            raise forms.ValidationError(_("Ask at least one question, about a named part of the dossier."))
        data["questions"] = questions
        return data
