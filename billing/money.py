"""Amounts and the one rounding rule. Plain `Decimal` with a currency code beside it, never floats.

Why not django-money: every amount here is in the currency of the fee it comes from, nothing is converted,
and the only arithmetic is a line's price × quantity and its VAT. Two `DecimalField`s (amount, currency) and
this module say exactly that; django-money would add py-moneyed, composite fields and exchange machinery
that nothing uses, and hide the rounding we must be able to show an accountant.

**The rule** (docs/architecture.md, "Billing"): every line is rounded half-up to the cent on its own; an
invoice's VAT is the sum of its lines' VAT per rate (not recomputed on the per-rate net).
- A price *excluding* VAT: net = round(unit × quantity); VAT = round(net × rate); gross = net + VAT.
- A price *including* VAT: gross = round(unit × quantity); net = round(gross / (1 + rate)); VAT = gross − net,
  so the line still adds up to exactly the price asked.
Credit notes use the same rule on negative amounts (half-up is symmetric: away from zero at .5).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def cents(value: Decimal) -> Decimal:
    """Half-up to the cent (away from zero at exactly half a cent)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    net: Decimal
    vat: Decimal
    gross: Decimal


def line_amounts(*, unit_price: Decimal, quantity: Decimal, rate: Decimal, includes_vat: bool,
                 charge_vat: bool = True) -> LineAmounts:
    """One line's net, VAT and gross. `rate` is a percentage (21, 9).

    `charge_vat` false (reverse charge, or no VAT due): no VAT on the line. A VAT-inclusive price then still
    loses the VAT it contains at `rate` (the customer pays the net price), so net is the same either way.
    """
    amount = cents(unit_price * quantity)
    if includes_vat:
        net = cents(amount / (1 + rate / HUNDRED))
        vat = amount - net
    else:
        net = amount
        vat = cents(net * rate / HUNDRED)
    if not charge_vat:
        vat = Decimal("0.00")
    return LineAmounts(net=net, vat=vat, gross=net + vat)


@dataclass(frozen=True)
class RateTotal:
    rate: Decimal
    net: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    per_rate: tuple[RateTotal, ...]
    net: Decimal
    vat: Decimal
    total: Decimal


def invoice_totals(lines: Iterable[tuple[Decimal, LineAmounts]]) -> Totals:
    """Net and VAT per rate (sums of the lines' own rounded amounts), and the totals. `lines`: (rate, amounts)."""
    nets: dict[Decimal, Decimal] = defaultdict(Decimal)
    vats: dict[Decimal, Decimal] = defaultdict(Decimal)
    for rate, amounts in lines:
        nets[rate] += amounts.net
        vats[rate] += amounts.vat
    per_rate = tuple(RateTotal(rate=rate, net=cents(nets[rate]), vat=cents(vats[rate]))
                     for rate in sorted(nets, reverse=True))
    net = cents(sum((item.net for item in per_rate), Decimal(0)))
    vat = cents(sum((item.vat for item in per_rate), Decimal(0)))
    return Totals(per_rate=per_rate, net=net, vat=vat, total=net + vat)

