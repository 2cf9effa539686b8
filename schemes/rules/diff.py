"""A readable list of the changes between two definition documents (for an import or edit preview)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fields import join


@dataclass(frozen=True, slots=True)
class Change:
    """One change: ``kind`` is added, removed, changed or reordered; ``old``/``new`` are JSON values.

    Paths name list items that have a code by that code (``categories[community].max``) and other list
    items by position (``reminders[0].offsets[1].amount``).
    """

    path: str
    kind: str
    old: Any
    new: Any


def diff_definitions(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """The changes from ``old`` to ``new`` in document order (removals, then additions, per object)."""
    changes: list[Change] = []
    _diff(old, new, "", changes)
    return changes


def _codes(items: list[Any]) -> list[str] | None:
    """The items' codes when every item is an object with a distinct string code, else ``None``."""
    codes = [item.get("code") if isinstance(item, dict) else None for item in items]
    if all(isinstance(item, str) for item in codes) and len(set(codes)) == len(codes):
        return codes  # type: ignore[return-value]
    return None


def _diff(old: Any, new: Any, path: str, changes: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for name, value in old.items():
            if name in new:
                _diff(value, new[name], join(path, name), changes)
            else:
                changes.append(Change(join(path, name), "removed", value, None))
        changes.extend(
            Change(join(path, name), "added", None, value) for name, value in new.items() if name not in old
        )
    elif isinstance(old, list) and isinstance(new, list):
        old_codes, new_codes = _codes(old), _codes(new)
        if old_codes is not None and new_codes is not None:
            by_code = dict(zip(new_codes, new, strict=True))
            for item_code, item in zip(old_codes, old, strict=True):
                where = f"{path}[{item_code}]"
                if item_code in by_code:
                    _diff(item, by_code[item_code], where, changes)
                else:
                    changes.append(Change(where, "removed", item, None))
            changes.extend(
                Change(f"{path}[{item_code}]", "added", None, item)
                for item_code, item in by_code.items()
                if item_code not in old_codes
            )
            kept_old = [item for item in old_codes if item in by_code]
            kept_new = [item for item in new_codes if item in old_codes]
            if kept_old != kept_new:
                changes.append(Change(path, "reordered", kept_old, kept_new))
            return
        for position, (before, after) in enumerate(zip(old, new, strict=False)):
            _diff(before, after, join(path, position), changes)
        changes.extend(
            Change(join(path, position), "removed", item, None)
            for position, item in enumerate(old)
            if position >= len(new)
        )
        changes.extend(
            Change(join(path, position), "added", None, item)
            for position, item in enumerate(new)
            if position >= len(old)
        )
    elif type(old) is not type(new) or old != new:
        changes.append(Change(path, "changed", old, new))
