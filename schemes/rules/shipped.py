"""The seed definitions shipped in ``schemes/definitions/*.json`` (read without Django)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from .definition import SchemeDefinition, load_definition

DEFINITIONS_DIR = Path(__file__).resolve().parent.parent / "definitions"


def shipped_definitions() -> dict[str, dict[str, Any]]:
    """Scheme code → raw definition document, freshly parsed (callers may change their copy)."""
    documents = {}
    for path in sorted(DEFINITIONS_DIR.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        documents[document["code"]] = document
    return documents


@functools.cache
def shipped_definition(code: str) -> SchemeDefinition:
    """The loaded shipped definition with this code (loaded once per process); ``KeyError`` if unknown."""
    return load_definition(shipped_definitions()[code])
