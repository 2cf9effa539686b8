"""Keyset pagination: pages of a long list whose cost does not grow with how far one pages.

Offset paging (`Paginator`) asks the database for `OFFSET n`, which reads and throws away n rows: page 400 of
10,000 invoices costs 400 times page 1. A keyset page instead starts after (or before) the last row shown, by
its sort key, so every page is one index range scan of `size + 1` rows.

    page = keyset_page(queryset, ("-issue_date", "-sequence", "-id"), request.GET.get("cursor"), size=25)

- `ordering`: the fields the list is sorted by, each ascending or `-`descending; together they must be unique
  and non-null (end with the primary key to make sure). The queryset's own ordering is replaced by it.
- `cursor`: the opaque `page.next_cursor` / `page.previous_cursor` of an earlier page (None: the first page).
  A cursor that cannot be read gives the first page (a cursor is a position, never a permission: the queryset
  decides what is visible).
- Queries: one for the page (`size + 1` rows, to know whether there is more); `page.count` is one `COUNT`
  more, only when a template asks for it.

The page carries `object_list`, `has_next`, `has_previous`, `next_cursor`, `previous_cursor` and `count`;
`templates/includes/keyset_pagination.html` draws the links (the other query parameters, such as filters,
are kept).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q, QuerySet

AFTER, BEFORE = "a", "b"


@dataclass
class KeysetPage:
    object_list: list[Any]
    has_next: bool
    has_previous: bool
    next_cursor: str | None
    previous_cursor: str | None
    queryset: QuerySet

    @cached_property
    def count(self) -> int:
        """Rows in the whole list (one COUNT query, made only when asked)."""
        return self.queryset.order_by().count()

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def _fields(ordering: Sequence[str]) -> list[tuple[str, bool]]:
    return [(name.removeprefix("-"), name.startswith("-")) for name in ordering]


def encode_cursor(direction: str, row: Any, ordering: Sequence[str]) -> str:
    values = [_value(row, name) for name, _descending in _fields(ordering)]
    payload = json.dumps([direction, values], separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def _value(row: Any, name: str) -> Any:
    value = row
    for part in name.split("__"):
        value = getattr(value, part)
    return value


def decode_cursor(cursor: str, queryset: QuerySet, ordering: Sequence[str]) -> tuple[str, list[Any]] | None:
    """(direction, typed values), or None for anything that is not a cursor of this ordering."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        direction, raw = json.loads(base64.urlsafe_b64decode(padded.encode()))
        fields = _fields(ordering)
        if direction not in (AFTER, BEFORE) or not isinstance(raw, list) or len(raw) != len(fields):
            return None
        return direction, [_field(queryset, name).to_python(value)
                           for (name, _descending), value in zip(fields, raw, strict=True)]
    except (ValueError, TypeError, binascii.Error, ValidationError, FieldDoesNotExist):
        return None


def _field(queryset: QuerySet, name: str) -> Any:
    model = queryset.model
    *path, last = name.split("__")
    for part in path:
        model = model._meta.get_field(part).related_model
    return model._meta.get_field(last)


def _beyond(fields: list[tuple[str, bool]], values: list[Any], forward: bool) -> Q:
    """Rows after (`forward`) or before the row with these key values, in the list's order."""
    condition = Q()
    for index, (name, descending) in enumerate(fields):
        later = descending == forward  # descending and forward: smaller values come later
        step = Q(**{name: value for (name, _d), value in zip(fields[:index], values[:index], strict=True)})
        step &= Q(**{f"{name}__{'lt' if later else 'gt'}": values[index]})
        condition |= step
    return condition


def keyset_page(queryset: QuerySet, ordering: Sequence[str], cursor: str | None, *, size: int = 25) -> KeysetPage:
    fields = _fields(ordering)
    decoded = decode_cursor(cursor, queryset, ordering) if cursor else None
    if decoded is None:
        rows = list(queryset.order_by(*ordering)[:size + 1])
        has_previous, has_next = False, len(rows) > size
        rows = rows[:size]
    elif decoded[0] == AFTER:
        rows = list(queryset.filter(_beyond(fields, decoded[1], True)).order_by(*ordering)[:size + 1])
        has_previous, has_next = True, len(rows) > size
        rows = rows[:size]
    else:
        reverse = [name[1:] if name.startswith("-") else f"-{name}" for name in ordering]
        rows = list(queryset.filter(_beyond(fields, decoded[1], False)).order_by(*reverse)[:size + 1])
        has_previous, has_next = len(rows) > size, True
        rows = rows[:size][::-1]
    return KeysetPage(
        object_list=rows, has_next=has_next and bool(rows), has_previous=has_previous and bool(rows),
        next_cursor=encode_cursor(AFTER, rows[-1], ordering) if rows and has_next else None,
        previous_cursor=encode_cursor(BEFORE, rows[0], ordering) if rows and has_previous else None,
        queryset=queryset)
