"""Numbers and CSV files written once (accounts/formatting.py, accounts/spreadsheets.py)."""

from collections.abc import Iterable
from decimal import Decimal
from typing import cast

import pytest
from django.http import StreamingHttpResponse
from django.template import Context, Template
from django.utils import translation

from accounts.formatting import local_number, plain_number
from accounts.spreadsheets import csv_lines, csv_response, spreadsheet_cell


@pytest.mark.parametrize(("value", "plain"), [
    (Decimal("2.50"), "2.5"), (Decimal("3.00"), "3"), (Decimal("1E+1"), "10"), (Decimal("0.0000001"), "0.0000001"),
    (Decimal("-12.10"), "-12.1"), (7, "7"), ("5.50", "5.5"), (Decimal("0"), "0"),
])
def test_plain_number(value, plain):
    assert plain_number(value) == plain


def test_local_number_in_the_current_language():
    with translation.override("nl"):
        assert local_number(Decimal("2.50")) == "2,5"
        assert local_number(Decimal("1234.5"), 2, grouping=True) == "1.234,50"
        assert Template("{% load numbertags %}{{ value|number }}|{{ none|number }}").render(
            Context({"value": Decimal("10.00"), "none": None})) == "10|"
    with translation.override("en"):
        assert local_number(Decimal("2.50")) == "2.5"
        assert local_number(3) == "3"


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-2.5", "-2.5"), ("+3", "+3"), ("Course", "Course"), ("", ""),
    (None, ""), (Decimal("-2.50"), Decimal("-2.50")), (4, 4),
])
def test_spreadsheet_cell(value, written):
    assert spreadsheet_cell(value) == written


def test_csv_lines_and_responses_agree():
    rows = [["=1+1", Decimal("-1.5"), None], ["a,b", "x", 2]]
    text = "".join(csv_lines(["one", "two", "three"], rows))
    assert text == "\ufeffone,two,three\r\n'=1+1,-1.5,\r\n\"a,b\",x,2\r\n"
    response = csv_response("x.csv", ["one", "two", "three"], rows)
    assert response.content.decode() == text
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    streamed = csv_response("x.csv", ["one", "two", "three"], iter(rows), streaming=True)
    assert isinstance(streamed, StreamingHttpResponse)
    assert b"".join(cast(Iterable[bytes], streamed.streaming_content)).decode() == text
