"""`{{ value|number }}`: a number in the page's locale without trailing zeros (accounts/formatting.py)."""

from decimal import Decimal

from django import template

from accounts.formatting import local_number

register = template.Library()


@register.filter
def number(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return ""
    return local_number(value)
