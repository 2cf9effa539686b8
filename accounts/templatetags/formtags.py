"""Render any form field with Bootstrap's classes and the ARIA hooks our field template expects."""

from django import forms, template
from django.utils.safestring import SafeString

register = template.Library()


def _css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.filter
def bootstrap(field: forms.BoundField) -> SafeString:
    widget = field.field.widget
    attrs: dict[str, str | bool] = {"class": f"{widget.attrs.get('class', '')} {_css_class(widget)}".strip()}
    described = [f"{field.auto_id}_help"] if field.help_text else []
    if field.errors:
        attrs["class"] = f"{attrs['class']} is-invalid"
        described.append(f"{field.auto_id}_error")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return field.as_widget(attrs=attrs)
