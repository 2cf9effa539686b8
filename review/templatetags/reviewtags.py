from typing import Any

from django import template

register = template.Library()


@register.filter
def entry(mapping: Any, key: Any) -> dict[str, Any]:
    """An assessment's saved entry for a section code or activity id (an empty one when there is none)."""
    if not isinstance(mapping, dict):
        return {}
    found = mapping.get(str(key))
    return found if isinstance(found, dict) else {}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
