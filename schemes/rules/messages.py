"""Structured, translatable messages.

The engine never builds finished sentences: it returns ``Message(code, template, params)``. The template
is an English %-format string with named placeholders, written in the source as
``gettext_noop("...")`` so Django's ``makemessages`` (whose xgettext keywords include gettext_noop) puts
it in the catalogue. ``render_message`` translates the template with the caller's ``translate`` and fills
in the parameters: numbers and dates formatted for the language, codes replaced by the definition's
labels, nested messages rendered the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .definition import SchemeDefinition
    from .fields import LocalText


def gettext_noop(message: str) -> str:
    """Mark an English template for the translation catalogue without translating it here."""
    return message


@dataclass(frozen=True, slots=True)
class Ref:
    """A code shown to the reader as its label from the definition, in the reader's language.

    ``kind`` is one of: category, sub_cap, activity_type, attribute (``owner`` = its activity type), unit
    (quantity unit), designation, section, period (the cycle's period label), cycle (the cycle label).
    """

    kind: str
    code: str = ""
    owner: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    """A sentence to show a person: a stable ``code``, an English template and its raw parameters."""

    code: str
    template: str
    params: Mapping[str, Any] = field(default_factory=dict)


def problem(template: str, **params: Any) -> Message:
    """A problem with a scheme definition: ``template`` is written as ``gettext_noop("...")`` by the caller."""
    return Message("definition", template, params)


MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "nb": (
        "januar",
        "februar",
        "mars",
        "april",
        "mai",
        "juni",
        "juli",
        "august",
        "september",
        "oktober",
        "november",
        "desember",
    ),
}
DECIMAL_COMMA = ("nl", "nb")


def format_number(value: Decimal | int, language: str = "en") -> str:
    """``Decimal("15.0")`` → ``15``; ``1.50`` → ``1.5`` (``1,5`` in Dutch and Norwegian). No grouping."""
    number = Decimal(value)
    text = str(int(number)) if number == number.to_integral_value() else format(number.normalize(), "f")
    return text.replace(".", ",") if language.split("-")[0] in DECIMAL_COMMA else text


def format_date(value: dt.date, language: str = "en") -> str:
    """``1 May 2025``, ``1 mei 2025``, ``1. mai 2025``; other languages get the English form."""
    base = language.split("-")[0]
    month = MONTHS.get(base, MONTHS["en"])[value.month - 1]
    day = f"{value.day}." if base == "nb" else str(value.day)
    return f"{day} {month} {value.year:04d}"


def label_for(defn: SchemeDefinition | None, ref: Ref) -> LocalText | None:
    """The definition's label for a reference, or ``None`` when the code is not (or no longer) defined."""
    if defn is None:
        return None
    index = defn.index
    if ref.kind == "category":
        category = index.categories.get(ref.code)
        return category.label if category else None
    if ref.kind == "sub_cap":
        cap = index.sub_caps.get(ref.code)
        return cap.label if cap else None
    if ref.kind == "activity_type":
        activity_type = defn.activity_types.get(ref.code)
        return activity_type.label if activity_type else None
    if ref.kind == "attribute":
        owner = defn.activity_types.get(ref.owner)
        attribute = (
            next((item for item in owner.attributes if item.code == ref.code), None) if owner else None
        )
        return attribute.label if attribute else None
    if ref.kind == "unit":
        unit = index.units.get(ref.code)
        return unit.label if unit else None
    if ref.kind == "designation":
        designation = index.designations.get(ref.code)
        return designation.label if designation else None
    if ref.kind == "section":
        section = next((item for item in defn.sections if item.code == ref.code), None)
        return section.label if section else None
    if ref.kind == "period":
        return defn.cycle.period_label
    if ref.kind == "cycle":
        return defn.cycle.cycle_label
    return None


def render_message(
    message: Message,
    defn: SchemeDefinition | None,
    language: str = "en",
    translate: Callable[[str], str] = gettext_noop,
    *,
    number: Callable[[Decimal], str] | None = None,
    date: Callable[[dt.date], str] | None = None,
) -> str:
    """The message as a sentence in ``language``.

    ``translate`` maps the English template to the language (the Django layer passes ``gettext``);
    ``number`` and ``date`` override the simple built-in formatting (for locale-aware formats). ``defn``
    gives the labels of codes; a message that names none (an activity's date) needs no definition.
    """

    def render(value: Any) -> str:
        if isinstance(value, Message):
            return render_message(value, defn, language, translate, number=number, date=date)
        if isinstance(value, Ref):
            text = label_for(defn, value)
            return text.get(language) if text is not None else value.code
        if isinstance(value, bool | str):
            return str(value)
        if isinstance(value, Decimal | int):
            return number(Decimal(value)) if number else format_number(value, language)
        if isinstance(value, dt.date):
            return date(value) if date else format_date(value, language)
        return str(value)

    return translate(message.template) % {name: render(value) for name, value in message.params.items()}
