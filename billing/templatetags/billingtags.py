"""Amounts and rates for people: in the page's locale, always with two decimals and the currency."""

from decimal import Decimal

from django import template

from accounts.formatting import local_number

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "NOK": "kr"}


@register.filter
def money(value: Decimal | str | None, currency: str = "EUR") -> str:
    if value is None or value == "":
        return ""
    amount = local_number(value, 2, grouping=True)
    return f"{SYMBOLS.get(currency, currency)}\u00a0{amount}"


@register.filter
def rate(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return ""
    return f"{local_number(value)}%"


@register.filter
def quantity(value: Decimal | str) -> str:
    return local_number(value)
