"""Small builders that keep the rules tests short."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from schemes.rules import ActivityInput, CandidateContext, Message, Report, SchemeDefinition, render_message


def day(text: str) -> date:
    return date.fromisoformat(text)


def act(
    type_code: str, when: str, quantity: str | int | Decimal = 1, ref: Any = None, **attributes: Any
) -> ActivityInput:
    return ActivityInput(
        type=type_code, date=day(when), quantity=Decimal(quantity), attributes=attributes, ref=ref
    )


def context(as_of: str, **dates: Any) -> CandidateContext:
    """``context("2026-05-01", exam_passed_on="2024-04-30")``: the ISO strings become dates."""
    values: dict[str, Any] = {
        name: day(value) if name in ("exam_passed_on", "recertification_date", "cycle_start") else value
        for name, value in dates.items()
    }
    return CandidateContext(as_of=day(as_of), **values)


def texts(messages: tuple[Message, ...] | list[Message], definition: SchemeDefinition) -> list[str]:
    return [render_message(message, definition) for message in messages]


def category(report: Report, code: str) -> tuple[Decimal, Decimal]:
    """(raw, counted) of a category in the report's current scope."""
    result = report.category(code)
    return result.raw, result.counted
