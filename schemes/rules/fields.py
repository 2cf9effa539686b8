"""Declarative mapping between the JSON definition format and frozen dataclasses.

Every dataclass of the format declares, per field, a *kind* (``spec(Dec())``, ``spec(ListOf(...))``...)
that knows how to validate and load its JSON value and how to dump it again. One generic loader and one
generic dumper walk those declarations, so the two directions cannot drift apart and the round trip
``load(dump(x)) == x`` holds by construction.

Loading never stops at the first problem: every kind appends ``(path, reason)`` pairs to a shared list
and returns ``INVALID`` for a value it could not load, so an administrator sees all mistakes at once.
"""

from __future__ import annotations

import dataclasses
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any, dataclass_transform

from .messages import Message, gettext_noop, problem

Errors = list[tuple[str, Message]]

CODE_PATTERN = re.compile(r"[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*\Z")
KEY_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
DECIMAL_PATTERN = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\Z")
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
MONTH_DAY_PATTERN = re.compile(r"[0-9]{2}-[0-9]{2}\Z")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\Z")
ROOT = "definition"


class _Invalid:
    """Marker for a value that failed to load (its reasons are already in the error list)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = _Invalid()


def join(path: str, key: str | int) -> str:
    """``categories`` + 2 → ``categories[2]``; ``activity_types`` + ``article`` →
    ``activity_types.article``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _where(path: str) -> str:
    return path or ROOT


@dataclasses.dataclass(frozen=True, slots=True)
class LocalText:
    """A user-visible text in several languages; English is always present and is the fallback."""

    texts: Mapping[str, str]

    def get(self, language: str = "en") -> str:
        """The text in ``language`` (``nb``, ``nl``...), its primary subtag, or else English."""
        return self.texts.get(language) or self.texts.get(language.split("-")[0]) or self.texts["en"]


class Kind(ABC):
    """How one JSON value is validated, loaded and dumped."""

    @abstractmethod
    def load(self, value: Any, path: str, errors: Errors) -> Any:
        """The loaded value, or ``INVALID`` after appending the reasons to ``errors``."""

    def dump(self, value: Any) -> Any:
        return value


class Str(Kind):
    """A non-blank string, optionally matching a pattern."""

    def __init__(self, pattern: re.Pattern[str] | None = None, what: str = gettext_noop("text")) -> None:
        self.pattern = pattern
        self.what = what

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or not value.strip():
            errors.append((_where(path), problem(
                gettext_noop("Must be a non-empty %(what)s."), what=problem(self.what)
            )))
            return INVALID
        if self.pattern is not None and not self.pattern.match(value):
            errors.append((_where(path), problem(
                gettext_noop('"%(value)s" is not a valid %(what)s.'), value=value, what=problem(self.what)
            )))
            return INVALID
        return value


def code() -> Str:
    """A stable code: letters and digits, optionally joined by ``.``, ``-`` or ``_`` (``A3.1``, ``CCStP``)."""
    return Str(CODE_PATTERN, gettext_noop("code (letters and digits, joined by '.', '-' or '_')"))


def key() -> Str:
    """A lower-case kebab-case code (``professional-experience``), safe to use in dotted paths."""
    return Str(KEY_PATTERN, gettext_noop("code (lower-case letters and digits joined by '-')"))


class Enum(Kind):
    def __init__(self, *values: str) -> None:
        self.values = values

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if value not in self.values or not isinstance(value, str):
            choices = ", ".join(f'"{v}"' for v in self.values)
            errors.append((_where(path), problem(
                gettext_noop("Must be one of %(choices)s, not %(value)s."), choices=choices, value=_show(value)
            )))
            return INVALID
        return value


class Bool(Kind):
    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, bool):
            errors.append((_where(path), problem(
                gettext_noop("Must be true or false, not %(value)s."), value=_show(value)
            )))
            return INVALID
        return value


class Int(Kind):
    """A JSON whole number (booleans are not numbers here)."""

    def __init__(self, minimum: int = 0) -> None:
        self.minimum = minimum

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append((_where(path), problem(
                gettext_noop("Must be a whole number, not %(value)s."), value=_show(value)
            )))
            return INVALID
        if value < self.minimum:
            errors.append((_where(path), problem(
                gettext_noop("Must be at least %(minimum)s, not %(value)s."), minimum=self.minimum, value=value
            )))
            return INVALID
        return value


class Dec(Kind):
    """A non-negative decimal written as a JSON string ("0.5"), so no binary float ever touches a bound."""

    def __init__(self, positive: bool = False) -> None:
        self.positive = positive

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, str) or not DECIMAL_PATTERN.match(value):
            errors.append(
                (
                    _where(path),
                    problem(
                        gettext_noop('Must be a decimal number written as a string, such as "0.5", not %(value)s.'),
                        value=_show(value)
                    ),
                )
            )
            return INVALID
        number = Decimal(value)
        if number < 0:
            errors.append((_where(path), problem(gettext_noop("Must not be negative (%(value)s)."), value=value)))
            return INVALID
        if self.positive and number == 0:
            errors.append((_where(path), problem(gettext_noop("Must be more than 0."))))
            return INVALID
        return number

    def dump(self, value: Any) -> Any:
        return str(value)


class Day(Kind):
    """A calendar date as an ISO string, ``YYYY-MM-DD``."""

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, str) and DATE_PATTERN.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        errors.append((_where(path), problem(
            gettext_noop("Must be a date written as YYYY-MM-DD, not %(value)s."), value=_show(value)
        )))
        return INVALID

    def dump(self, value: Any) -> Any:
        return value.isoformat()


class MonthDay(Kind):
    """A day of the year as ``MM-DD`` (a yearly reference date such as 1 January, ``01-01``)."""

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, str) and MONTH_DAY_PATTERN.match(value):
            try:
                date.fromisoformat(f"2000-{value}")
                return value
            except ValueError:
                pass
        errors.append((_where(path), problem(
            gettext_noop("Must be a day of the year written as MM-DD, not %(value)s."), value=_show(value)
        )))
        return INVALID


class Text(Kind):
    """Labels in several languages: ``{"en": ..., "nl": ..., "nb": ...}``; English is required."""

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, dict):
            errors.append((_where(path), problem(
                gettext_noop('Must be an object of texts per language, such as {"en": "..."}.')
            )))
            return INVALID
        ok = True
        for language, text in value.items():
            if not LANGUAGE_PATTERN.match(language):
                errors.append((join(path, language), problem(
                    gettext_noop('"%(language)s" is not a language code such as "nl".'), language=language
                )))
                ok = False
            elif not isinstance(text, str) or not text.strip():
                errors.append((join(path, language), problem(gettext_noop("Must be a non-empty text."))))
                ok = False
        if "en" not in value:
            errors.append((join(path, "en"), problem(gettext_noop("An English text is required."))))
            ok = False
        return LocalText(MappingProxyType(dict(value))) if ok else INVALID

    def dump(self, value: Any) -> Any:
        return dict(value.texts)


class Nullable(Kind):
    def __init__(self, inner: Kind) -> None:
        self.inner = inner

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        return None if value is None else self.inner.load(value, path, errors)

    def dump(self, value: Any) -> Any:
        return None if value is None else self.inner.dump(value)


class ListOf(Kind):
    """A JSON array, loaded as a tuple."""

    def __init__(self, inner: Kind) -> None:
        self.inner = inner

    def load_partial(self, value: Any, path: str, errors: Errors) -> Any:
        """Load every element, keeping ``INVALID`` placeholders so cross-checks still see good siblings."""
        if not isinstance(value, list):
            errors.append((_where(path), problem(gettext_noop("Must be a list, not %(value)s."), value=_show(value))))
            return INVALID
        return tuple(self.inner.load(item, join(path, i), errors) for i, item in enumerate(value))

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        items = self.load_partial(value, path, errors)
        if items is INVALID or any(item is INVALID for item in items):
            return INVALID
        return items

    def dump(self, value: Any) -> Any:
        return [self.inner.dump(item) for item in value]


class IntMap(Kind):
    """An object of named whole numbers, such as a year-table row's values."""

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, dict):
            errors.append((_where(path), problem(gettext_noop("Must be an object of whole numbers."))))
            return INVALID
        ok = all(
            Int().load(number, join(path, name), errors) is not INVALID for name, number in value.items()
        )
        return MappingProxyType(dict(value)) if ok else INVALID

    def dump(self, value: Any) -> Any:
        return dict(value)


class CountOrColumn(Kind):
    """A whole number, or the code of a year-table column that gives the number for the date."""

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if isinstance(value, str):
            return code().load(value, path, errors)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        errors.append(
            (_where(path), problem(
                gettext_noop("Must be a whole number or a year-table column code, not %(value)s."), value=_show(value)
            ))
        )
        return INVALID


class Obj(Kind):
    """A nested object loaded into the dataclass ``cls``."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        return load_object(self.cls, value, path, errors)

    def dump(self, value: Any) -> Any:
        return dump_object(value)


class MapOf(Kind):
    """An object keyed by code (``{"article": {...}}``); the key becomes the dataclass's ``code`` field."""

    def __init__(self, cls: type) -> None:
        self.cls = cls

    def load_partial(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, dict):
            errors.append((_where(path), problem(
                gettext_noop("Must be an object keyed by code, not %(value)s."), value=_show(value)
            )))
            return INVALID
        items = {}
        for name, item in value.items():
            if not KEY_PATTERN.match(name):
                errors.append(
                    (
                        join(path, name),
                        problem(
                            gettext_noop(
                                "\"%(name)s\" is not a valid code (lower-case letters and digits joined by '-')."
                            ),
                            name=name
                        ),
                    )
                )
                items[name] = INVALID
            else:
                items[name] = load_object(self.cls, item, join(path, name), errors, code=name)
        return MappingProxyType(items)

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        items = self.load_partial(value, path, errors)
        if items is INVALID or any(item is INVALID for item in items.values()):
            return INVALID
        return items

    def dump(self, value: Any) -> Any:
        return {name: dump_object(item, omit=("code",)) for name, item in value.items()}


class OneOf(Kind):
    """An object whose ``kind`` key picks the dataclass (formula kinds, section requirement kinds)."""

    def __init__(self, noun: str, *classes: type[Any]) -> None:
        self.noun = noun
        self.classes = {cls.KIND: cls for cls in classes}

    def load(self, value: Any, path: str, errors: Errors) -> Any:
        if not isinstance(value, dict):
            errors.append((_where(path), problem(
                gettext_noop("Must be an object with a %(noun)s kind, not %(value)s."),
                noun=problem(self.noun), value=_show(value)
            )))
            return INVALID
        kind = value.get("kind")
        cls = self.classes.get(kind) if isinstance(kind, str) else None
        if cls is None:
            choices = ", ".join(f'"{name}"' for name in self.classes)
            errors.append(
                (join(path, "kind"), problem(
                    gettext_noop("Unknown %(noun)s kind %(kind)s; expected one of %(choices)s."),
                    noun=problem(self.noun), kind=_show(kind), choices=choices
                ))
            )
            return INVALID
        return load_object(cls, value, path, errors, extra_keys=("kind",))

    def dump(self, value: Any) -> Any:
        return {"kind": value.KIND, **dump_object(value)}


def spec(
    kind: Kind,
    *,
    default: Any = dataclasses.MISSING,
    factory: Callable[[], Any] | None = None,
    written_when_set: bool = False,
) -> Any:
    """Declare a dataclass field's JSON kind; a field with a default may be left out of the JSON.

    ``written_when_set``: the canonical dump leaves the key out while it has its default. For keys added
    to the format after versions were saved (a reminder's ``mandatory``, a type's ``quantity_max``):
    the documents saved before stay canonical, and a diff against them shows no spurious "added" lines.
    """
    metadata = {"json": kind, "written_when_set": written_when_set}
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass_transform(frozen_default=True, kw_only_default=True, field_specifiers=(spec, dataclasses.field))
def frame[T](cls: type[T]) -> type[T]:
    """A frozen, slotted, keyword-only dataclass: every part of a definition, and of a report."""
    return dataclasses.dataclass(frozen=True, slots=True, kw_only=True)(cls)


def json_fields(cls: type) -> list[tuple[str, Kind, bool]]:
    """``(name, kind, required)`` for every JSON-mapped field of ``cls``, in declaration (= JSON) order."""
    return [
        (
            f.name,
            f.metadata["json"],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
        if "json" in f.metadata
    ]


def check_keys(value: dict[str, Any], allowed: set[str], path: str, errors: Errors) -> None:
    for name in value:
        if name not in allowed:
            errors.append((join(path, name), problem(gettext_noop("This key is not part of the definition format."))))


def load_object(
    cls: type,
    value: Any,
    path: str,
    errors: Errors,
    *,
    code: str | None = None,
    extra_keys: tuple[str, ...] = (),
) -> Any:
    """Load ``value`` into ``cls``, recording every problem; ``INVALID`` if any field failed.

    After the fields load, the object's own ``problems()`` (bounds in the wrong order and the like) are
    added too, with paths relative to the object.
    """
    if not isinstance(value, dict):
        errors.append((_where(path), problem(gettext_noop("Must be an object, not %(value)s."), value=_show(value))))
        return INVALID
    specs = [
        (name, kind, required) for name, kind, required in json_fields(cls) if not (code and name == "code")
    ]
    check_keys(value, {name for name, _, _ in specs} | set(extra_keys), path, errors)
    loaded: dict[str, Any] = {"code": code} if code else {}
    ok = True
    for name, kind, required in specs:
        if name in value:
            loaded[name] = kind.load(value[name], join(path, name), errors)
            ok = ok and loaded[name] is not INVALID
        elif required:
            errors.append((join(path, name), problem(gettext_noop("A value is required."))))
            ok = False
    if not ok:
        return INVALID
    obj = cls(**loaded)
    problems = getattr(obj, "problems", None)
    if problems is not None:
        errors.extend((join(path, where) if where else _where(path), reason) for where, reason in problems())
    return obj


def dump_object(obj: Any, omit: tuple[str, ...] = ()) -> dict[str, Any]:
    """The canonical JSON form of a format dataclass: every field in declaration order, except those
    written only when set (``spec(..., written_when_set=True)``) while they hold their default."""
    unset = {
        f.name
        for f in dataclasses.fields(obj)
        if f.metadata.get("written_when_set") and getattr(obj, f.name) == _default(f)
    }
    return {
        name: kind.dump(getattr(obj, name))
        for name, kind, _ in json_fields(type(obj))
        if name not in omit and name not in unset
    }


def _default(found: dataclasses.Field[Any]) -> Any:
    return found.default_factory() if found.default_factory is not dataclasses.MISSING else found.default


def _show(value: Any) -> str:
    """A short rendering of a bad value for an error sentence."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"' if len(value) <= 40 else f'"{value[:37]}..."'
    if isinstance(value, int | float):
        return repr(value)
    return (
        "an object"
        if isinstance(value, dict)
        else "a list"
        if isinstance(value, list)
        else type(value).__name__
    )
