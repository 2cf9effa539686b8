"""CSV files for download, written once: UTF-8 with a byte-order mark (so spreadsheet programs detect the
encoding), a header row, and every cell guarded against formula injection.

The guard: text that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return) gets a leading apostrophe, unless it is a plain number such as "-2.5" (a negative amount stays a
number). Numbers, dates and None are written as they are (None as an empty cell).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """A value safe to open in a spreadsheet."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class _Line:
    """A file-like object whose write returns the line, so csv.writer yields lines one at a time."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The file as text, line by line: byte-order mark, header, guarded rows."""
    writer = csv.writer(_Line())
    yield "\ufeff"
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow([spreadsheet_cell(value) for value in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]], *,
                 streaming: bool = False) -> HttpResponse | StreamingHttpResponse:
    """A CSV download; `streaming` sends the lines as `rows` yields them (read what needs the request's
    transaction before)."""
    lines = csv_lines(header, rows)
    response: HttpResponse | StreamingHttpResponse = (
        StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8") if streaming
        else HttpResponse("".join(lines), content_type="text/csv; charset=utf-8"))
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
