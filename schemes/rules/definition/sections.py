"""Dossier sections: when each applies (dossier kind, level change, dates, exemptions, year tables) and
the requirement kinds it is made of."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar

from ..fields import (
    Bool,
    CountOrColumn,
    Day,
    Enum,
    Int,
    IntMap,
    ListOf,
    LocalText,
    Nullable,
    Obj,
    OneOf,
    Text,
    code,
    frame,
    key,
    spec,
)
from ..messages import Message, gettext_noop, problem
from .common import DOSSIER_KINDS, Option, unique_problems

FIELD_TYPES = ("text", "date", "boolean", "integer")


@frame
class Exemption:
    """Reference dates from ``start`` to ``end`` (both inclusive) for which a section is exempt."""

    start: date = spec(Day())
    end: date = spec(Day())

    def problems(self) -> list[tuple[str, Message]]:
        if self.start > self.end:
            return [("start", problem(
                gettext_noop("The exemption starts (%(start)s) after it ends (%(end)s)."),
                start=self.start.isoformat(), end=self.end.isoformat()
            ))]
        return []


@frame
class YearRow:
    """Values in force from ``from_year`` (a calendar year of the reference date) until the next row."""

    from_year: int = spec(Int(1900))
    values: Mapping[str, int] = spec(IntMap())


@frame
class YearTable:
    """Numbers that depend on the calendar year of the recertification date (Noloc A3.1)."""

    columns: tuple[Option, ...] = spec(ListOf(Obj(Option)))
    rows: tuple[YearRow, ...] = spec(ListOf(Obj(YearRow)))
    # What a year before the first row gets: the first row's values, or no requirement at all.
    before_first_row: str = spec(Enum("first_row", "not_required"))

    def problems(self) -> list[tuple[str, Message]]:
        problems = unique_problems((column.code for column in self.columns), "columns", gettext_noop("column"))
        if not self.rows:
            problems.append(("rows", problem(gettext_noop("A year table needs at least one row."))))
        names = {column.code for column in self.columns}
        for index, row in enumerate(self.rows):
            if index and row.from_year <= self.rows[index - 1].from_year:
                problems.append((f"rows[{index}].from_year", problem(
                    gettext_noop("Rows must be in increasing year order.")
                )))
            if set(row.values) != names:
                expected = ", ".join(sorted(names))
                problems.append((f"rows[{index}].values", problem(
                    gettext_noop("Each row needs exactly the columns: %(expected)s."), expected=expected
                )))
        return problems

    def values_for(self, year: int) -> Mapping[str, int] | None:
        """The row in force for ``year``; before the first row, as ``before_first_row`` says."""
        current = self.rows[0].values if self.before_first_row == "first_row" else None
        for row in self.rows:
            if row.from_year <= year:
                current = row.values
        return current


@frame
class DocumentRequirement:
    """Upload one (or with ``multiple``, several) documents: a CV, eligibility evidence."""

    KIND: ClassVar[str] = "document"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    multiple: bool = spec(Bool(), default=False)


@frame
class StatementField:
    """A field the signer of a statement fills in; a boolean field can require a number of yes answers."""

    code: str = spec(key())
    label: LocalText = spec(Text())
    type: str = spec(Enum(*FIELD_TYPES))
    count_true: int | str | None = spec(Nullable(CountOrColumn()), default=None)

    def problems(self) -> list[tuple[str, Message]]:
        if self.count_true is not None and self.type != "boolean":
            return [("count_true", problem(gettext_noop("Only a boolean field can require a number of yes answers.")))]
        return []


@frame
class StatementRequirement:
    """Signed statements (verklaringen) with named fields; ``count`` is a number or a year-table column."""

    KIND: ClassVar[str] = "statement"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    signer: LocalText = spec(Text())
    fields: tuple[StatementField, ...] = spec(ListOf(Obj(StatementField)))
    count: int | str = spec(CountOrColumn(), default=1)

    def problems(self) -> list[tuple[str, Message]]:
        return unique_problems((item.code for item in self.fields), "fields", gettext_noop("field"))


@frame
class QuestionsRequirement:
    """Guided text questions; answers must refer to at least ``profile_references_min`` profile parts."""

    KIND: ClassVar[str] = "questions"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    questions: tuple[Option, ...] = spec(ListOf(Obj(Option)))
    profile_references_min: int = spec(Int(0), default=0)

    def problems(self) -> list[tuple[str, Message]]:
        return unique_problems((item.code for item in self.questions), "questions", gettext_noop("question"))


@frame
class DeclarationRequirement:
    """Checkboxes the candidate ticks (each timestamped by the dossier)."""

    KIND: ClassVar[str] = "declaration"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    checkboxes: tuple[Option, ...] = spec(ListOf(Obj(Option)))

    def problems(self) -> list[tuple[str, Message]]:
        return unique_problems((item.code for item in self.checkboxes), "checkboxes", gettext_noop("checkbox"))


@frame
class ChoiceRequirement:
    """Pick one option, or with ``multiple`` at least ``min_selected`` options."""

    KIND: ClassVar[str] = "choice"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    multiple: bool = spec(Bool())
    min_selected: int = spec(Int(0), default=1)
    options: tuple[Option, ...] = spec(ListOf(Obj(Option)))

    def problems(self) -> list[tuple[str, Message]]:
        problems = unique_problems((item.code for item in self.options), "options", gettext_noop("option"))
        if self.min_selected > (len(self.options) if self.multiple else 1):
            problems.append(("min_selected", problem(
                gettext_noop("%(min_selected)s options cannot be selected here."), min_selected=self.min_selected
            )))
        return problems


@frame
class PointsSummaryRequirement:
    """The engine's points report (Noloc part B), attached to the dossier as it stands."""

    KIND: ClassVar[str] = "points_summary"
    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)


Requirement = (
    DocumentRequirement
    | StatementRequirement
    | QuestionsRequirement
    | DeclarationRequirement
    | ChoiceRequirement
    | PointsSummaryRequirement
)
REQUIREMENT_KINDS: tuple[type[Requirement], ...] = (
    DocumentRequirement,
    StatementRequirement,
    QuestionsRequirement,
    DeclarationRequirement,
    ChoiceRequirement,
    PointsSummaryRequirement,
)


@frame
class Section:
    """A part of the dossier; whether it is required depends on the dossier kind and the reference date."""

    code: str = spec(code())
    label: LocalText = spec(Text())
    description: LocalText | None = spec(Nullable(Text()), default=None)
    applies_to: tuple[str, ...] = spec(ListOf(Enum(*DOSSIER_KINDS)))
    only_if_level_changed: bool = spec(Bool(), default=False)
    required_from: date | None = spec(Nullable(Day()), default=None)
    exemptions: tuple[Exemption, ...] = spec(ListOf(Obj(Exemption)), default=())
    year_table: YearTable | None = spec(Nullable(Obj(YearTable)), default=None)
    requirements: tuple[Requirement, ...] = spec(ListOf(OneOf(gettext_noop("requirement"), *REQUIREMENT_KINDS)))

    def problems(self) -> list[tuple[str, Message]]:
        noun = gettext_noop("requirement")
        problems = unique_problems((item.code for item in self.requirements), "requirements", noun)
        if not self.applies_to or len(set(self.applies_to)) != len(self.applies_to):
            problems.append(
                (
                    "applies_to",
                    problem(
                        gettext_noop(
                            "List each dossier kind (initial, recertification) at most once, and at least one."
                        )
                    ),
                )
            )
        columns = {column.code for column in self.year_table.columns} if self.year_table else set()
        for index, requirement in enumerate(self.requirements):
            counts: list[tuple[str, int | str | None]] = []
            if isinstance(requirement, StatementRequirement):
                counts.append((f"requirements[{index}].count", requirement.count))
                counts.extend(
                    (f"requirements[{index}].fields[{number}].count_true", item.count_true)
                    for number, item in enumerate(requirement.fields)
                )
            problems.extend(
                (where, problem(
                    gettext_noop('"%(value)s" is not a column of this section\'s year table.'), value=value
                ))
                for where, value in counts
                if isinstance(value, str) and value not in columns
            )
        return problems


