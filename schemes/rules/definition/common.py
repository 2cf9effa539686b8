"""What every part of the definition format shares: the dataclass shape, coded options and the small
checks objects run on themselves (bounds in order, codes used once)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from ..fields import LocalText, Nullable, Text, code, frame, spec
from ..messages import Message, gettext_noop, problem

DOSSIER_KINDS = ("initial", "recertification")
Problems = list[tuple[str, Message]]


def order_problems(minimum: Decimal | None, maximum: Decimal | None, where: str = "min") -> list[tuple[str, Message]]:
    if minimum is not None and maximum is not None and minimum > maximum:
        return [(where, problem(
            gettext_noop("The minimum %(minimum)s is greater than the maximum %(maximum)s."),
            minimum=minimum, maximum=maximum
        ))]
    return []


def unique_problems(codes: Iterable[str], path: str, what: str) -> list[tuple[str, Message]]:
    return unique_at(enumerate(codes), path, what)


def unique_at(codes: Iterable[tuple[int | str, str]], path: str, what: str) -> list[tuple[str, Message]]:
    """A problem for every ``(index, code)`` whose code an earlier item already has."""
    seen: set[str] = set()
    problems = []
    for index, item in codes:
        if item in seen:
            problems.append((f"{path}[{index}].code", problem(
                gettext_noop('The %(what)s code "%(item)s" is used twice.'), what=problem(what), item=item
            )))
        seen.add(item)
    return problems


@frame
class Option:
    """A coded, labelled item: a choice option, an evidence item, a question, a norm document..."""

    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)


