"""Reading the CSV files administrators exchange with the product (see docs/csv-formats.md).

Reading is strict about the header and forgiving about the things spreadsheets vary on: UTF-8 with or
without a byte-order mark, `;` or `,` between values (sniffed from the header line), blank lines, spaces
around values, and decimal commas ("1,5"). Every problem becomes a sentence a person can act on; row
numbers count the header as row 1, as a spreadsheet shows them. Writing them: accounts/spreadsheets.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.core.cache import cache
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 10_000
DELIMITERS = (";", ",")
TRUE_WORDS = frozenset({"yes", "true", "1", "y", "ja", "j"})
FALSE_WORDS = frozenset({"no", "false", "0", "n", "nee", "nei"})


class CsvError(ValueError):
    """The file as a whole cannot be read (size, encoding, header, too many rows)."""


@dataclass(frozen=True)
class CsvRow:
    number: int  # the row as a spreadsheet numbers it: the header is row 1
    values: dict[str, str]
    problems: tuple[str, ...] = ()  # problems with the row's shape (too many values)


@dataclass(frozen=True)
class CsvTable:
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]
    delimiter: str
    sha256: str = ""
    name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def decode(data: bytes) -> str:
    """UTF-8 text, with or without a byte-order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvError(_("The file is not UTF-8 text. In your spreadsheet choose “Save as… CSV UTF-8” and "
                         "upload that file.")) from None


def sniff_delimiter(header_line: str) -> str:
    """`;` or `,`: whichever separates the header's columns (spreadsheets in Dutch or Norwegian use `;`)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in DELIMITERS}
    return ";" if counts[";"] > counts[","] else ","


def read_upload(upload: IO[bytes], *, max_bytes: int = MAX_BYTES) -> bytes:
    """The uploaded bytes, refusing a file over the size limit before reading it all."""
    size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise CsvError(too_large_message(max_bytes))
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CsvError(too_large_message(max_bytes))
    return data


def too_large_message(max_bytes: int) -> str:
    return _("The file is larger than %(size)s MB. Split it into smaller files and import them one by one.") % {
        "size": max_bytes // (1024 * 1024)}


def parse(text: str, *, required: Sequence[str], optional: Iterable[str] = (),
          max_rows: int = MAX_ROWS) -> CsvTable:
    """Rows of `text` keyed by the (lower-cased) header; the header must name every required column and
    no column outside `required` + `optional`."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = sniff_delimiter(first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[CsvRow] = []
    number = 0
    try:
        for record in reader:
            number += 1
            if header is None:
                if not any(cell.strip() for cell in record):
                    continue
                header = [cell.strip().lower() for cell in record]
                _check_header(header, required, optional)
                continue
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= max_rows:
                raise CsvError(
                    _("The file has more than %(max)s rows. Split it into smaller files and import them one by "
                      "one.") % {"max": formats.number_format(max_rows, use_l10n=True, force_grouping=True)})
            problems: tuple[str, ...] = ()
            if len(record) > len(header):
                problems = (ngettext(
                    "The row has %(count)s value but the header has %(columns)s columns.",
                    "The row has %(count)s values but the header has %(columns)s columns.", len(record))
                    % {"count": len(record), "columns": len(header)},)
            padded = [*record, *[""] * (len(header) - len(record))]
            rows.append(CsvRow(number=number, values={name: padded[i].strip() for i, name in enumerate(header)},
                               problems=problems))
    except csv.Error as error:
        raise CsvError(_("Row %(row)s cannot be read as CSV: %(reason)s.") % {"row": number, "reason": error}) from None
    if header is None:
        raise CsvError(_("The file is empty. The first row must be the header: %(columns)s.")
                       % {"columns": ",".join(required)})
    if not rows:
        raise CsvError(_("The file has a header but no rows to import."))
    return CsvTable(columns=tuple(header), rows=tuple(rows), delimiter=delimiter)


def _check_header(header: list[str], required: Sequence[str], optional: Iterable[str]) -> None:
    allowed = set(required) | set(optional)
    missing = [name for name in required if name not in header]
    unknown = [name or _("(empty)") for name in header if name not in allowed]
    duplicates = sorted({name for name in header if name and header.count(name) > 1})
    problems = []
    if missing:
        problems.append(ngettext("The header lacks the column %(columns)s.",
                                 "The header lacks the columns %(columns)s.", len(missing))
                        % {"columns": ", ".join(missing)})
    if unknown:
        problems.append(ngettext("The column %(columns)s is not one this import knows.",
                                 "The columns %(columns)s are not ones this import knows.", len(unknown))
                        % {"columns": ", ".join(unknown)})
    if duplicates:
        problems.append(_("These columns appear more than once: %(columns)s.") % {"columns": ", ".join(duplicates)})
    if problems:
        problems.append(_("The first row must be the header: %(columns)s.") % {"columns": ",".join(required)})
        raise CsvError(" ".join(problems))


# --- Values -----------------------------------------------------------------------------------------

def parse_date(value: str, column: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("%(column)s “%(value)s” is not a date; write it as YYYY-MM-DD (2026-04-30).")
                         % {"column": column, "value": value}) from None


def parse_optional_date(value: str, column: str) -> dt.date | None:
    return parse_date(value, column) if value else None


def parse_decimal(value: str, column: str) -> Decimal:
    """A number with a decimal point or a decimal comma ("1.5" or "1,5"); no thousands separators."""
    text = value.replace(",", ".") if value.count(",") == 1 and "." not in value else value
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("%(column)s “%(value)s” is not a number.") % {"column": column, "value": value}) from None
    if not number.is_finite():
        raise ValueError(_("%(column)s “%(value)s” is not a number.") % {"column": column, "value": value})
    return number


def parse_bool(value: str, column: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("%(column)s “%(value)s” must be yes or no.") % {"column": column, "value": value})


# --- Between the dry run and the import -------------------------------------------------------------

STASH_SECONDS = 3600


def _stash_key(kind: str, organisation_id: int, user_id: int, token: str) -> str:
    return f"csvio:{kind}:{organisation_id}:{user_id}:{token}"


def stash(*, kind: str, organisation_id: int, user_id: int, name: str, text: str, sha256: str) -> str:
    """Keep a checked file for an hour so "Import" applies exactly the file the dry run showed.

    The key includes the organisation and the administrator, so nobody else can apply it; the token is the
    file's SHA-256.
    """
    cache.set(_stash_key(kind, organisation_id, user_id, sha256), {"name": name, "text": text}, STASH_SECONDS)
    return sha256


def unstash(*, kind: str, organisation_id: int, user_id: int, token: str) -> tuple[str, str] | None:
    """(file name, text) of the file stashed under this token by this administrator, else None (expired)."""
    found = cache.get(_stash_key(kind, organisation_id, user_id, token))
    return (found["name"], found["text"]) if found else None
