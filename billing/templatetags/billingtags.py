"""Amounts and rates for people: in the page's locale, always with two decimals and the currency."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()

SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$", "NOK": "kr"}


@register.filter
def money(value: Decimal | str | None, currency: str = "EUR") -> str:
    if value is None or value == "":
        return ""
    amount = formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)
    return f"{SYMBOLS.get(currency, currency)}\u00a0{amount}"


@register.filter
def rate(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return ""
    number = Decimal(value).normalize()
    number = number.quantize(Decimal(1)) if number == number.to_integral() else number
    return f"{formats.number_format(number, use_l10n=True)}%"


@register.filter
def quantity(value: Decimal | str) -> str:
    number = Decimal(value).normalize()
    number = number.quantize(Decimal(1)) if number == number.to_integral() else number
    return formats.number_format(number, use_l10n=True)
