"""A service's ValidationError on a form, one way (accounts.forms.form_add_errors)."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from accounts.forms import form_add_errors


class Form(forms.Form):
    email = forms.CharField(required=False)
    field_note = forms.CharField(required=False)


def bound() -> Form:
    form = Form({"email": "a@example.com", "field_note": "x"})
    assert form.is_valid()
    return form


def test_field_errors_go_on_their_fields_else_on_the_form():
    form = bound()
    form_add_errors(form, ValidationError({"email": ["Taken."], "unknown": ["Elsewhere."],
                                           NON_FIELD_ERRORS: ["Whole."]}))
    assert form.errors == {"email": ["Taken."], NON_FIELD_ERRORS: ["Elsewhere.", "Whole."]}
    assert form.data["email"] == "a@example.com"  # the input stays


def test_an_error_for_no_field_goes_on_the_form_or_on_the_field_named():
    form = bound()
    form_add_errors(form, ValidationError(["One.", "Two."]))
    assert form.errors == {NON_FIELD_ERRORS: ["One.", "Two."]}
    form = bound()
    form_add_errors(form, ValidationError("Taken.", code="taken"), field="email")
    assert form.errors == {"email": ["Taken."]}


def test_prefixed_fields_and_no_message_twice():
    form = bound()
    form_add_errors(form, ValidationError({"note": ["Too short."]}), prefix="field_")
    form_add_errors(form, {"note": ["Too short."], "email": ["Taken."]}, prefix="field_")
    form_add_errors(form, {"email": ["Taken.", "Blocked."]})
    assert form.errors == {"field_note": ["Too short."], "email": ["Taken.", "Blocked."]}
