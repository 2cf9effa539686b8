"""Numbers written once: plain (for files and stored text: "2.5", "3", never localised) and for people (in the
page's locale: "2,5" in Dutch). Templates use the `number` filter (`{% load numbertags %}`)."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats


def _trimmed(value: Decimal | int | str) -> Decimal:
    """The value without trailing zeros and without an exponent (2.50 → 2.5, 3.00 → 3, 1E+1 → 10)."""
    number = Decimal(value)
    return number.quantize(Decimal(1)) if number == number.to_integral_value() else number.normalize()


def plain_number(value: Decimal | int | str) -> str:
    """A number in plain notation without trailing zeros, with a decimal point: stable, not localised."""
    return format(_trimmed(value), "f")


def local_number(value: Decimal | int | str, decimal_places: int | None = None, *, grouping: bool = False) -> str:
    """A number in the current locale: without trailing zeros, or with exactly `decimal_places` (amounts);
    thousands grouped with `grouping`."""
    number = Decimal(value) if decimal_places is not None else _trimmed(value)
    return formats.number_format(number, decimal_places, use_l10n=True, force_grouping=grouping)
