"""Messages are structured and rendered per language: translated template, labels, numbers and dates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemes.rules import Message, Ref, evaluate, format_date, format_number, render_message

from .support import act, context, day

CAP = Message(
    "category-cap-excess",
    "%(excess)s of %(raw)s %(category)s points (%(start)s)",
    {
        "excess": Decimal("4"),
        "raw": Decimal("19.50"),
        "category": Ref("category", "community"),
        "start": day("2025-05-01"),
    },
)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "4 of 19.5 Community points (1 May 2025)"),
        ("nl", "4 of 19,5 Gemeenschap points (1 mei 2025)"),
        ("nb", "4 of 19,5 Fellesskap points (1. mai 2025)"),
        ("de", "4 of 19.5 Community points (1 May 2025)"),
    ],
)
def test_labels_numbers_and_dates_follow_the_language(peoplecert, language, expected):
    assert render_message(CAP, peoplecert, language) == expected


def test_translate_receives_the_english_template(peoplecert):
    seen = []

    def translate(template):
        seen.append(template)
        return "%(category)s: %(excess)s van %(raw)s punten"

    assert render_message(CAP, peoplecert, "nl", translate) == "Gemeenschap: 4 van 19,5 punten"
    assert seen == [CAP.template]


def test_custom_number_and_date_formatters(peoplecert):
    text = render_message(
        CAP, peoplecert, number=lambda value: f"<{value}>", date=lambda value: value.isoformat()
    )
    assert text == "<4> of <19.50> Community points (2025-05-01)"


def test_nested_messages_are_rendered_in_the_same_language(noloc):
    inner = Message(
        "attribute-below-min",
        "%(attribute)s is %(value)s",
        {"attribute": Ref("attribute", "words", "article"), "value": 1499},
    )
    outer = Message(
        "activity-rejected",
        "%(type)s: %(problem)s",
        {"type": Ref("activity_type", "article"), "problem": inner},
    )
    assert render_message(outer, noloc, "nl") == (
        "Gepubliceerd artikel over het vakgebied (minimaal 1500 woorden): Aantal woorden is 1499"
    )


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (Ref("sub_cap", "reading"), "Lesing av faglitteratur og podkaster"),
        (Ref("unit", "half-days"), "Halvdager"),
        (Ref("section", "A3.1"), "A3.1 Refleksjon over yrkesutøvelsen din"),
        (Ref("cycle"), "resertifiseringsperiode"),
        (Ref("category", "no-such-category"), "no-such-category"),
    ],
)
def test_references_become_labels(noloc, ref, expected):
    assert render_message(Message("x", "%(ref)s", {"ref": ref}), noloc, "nb") == expected


def test_designation_label(ccmg):
    message = Message("x", "%(ref)s", {"ref": Ref("designation", "CCOP")})
    assert render_message(message, ccmg) == "Contact Centre Operational Professional"


def test_unknown_language_variant_falls_back_to_its_base_language(peoplecert):
    assert render_message(Message("x", "%(ref)s", {"ref": Ref("period")}), peoplecert, "nb-NO") == "CPD-år"


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        (Decimal("15.0"), "en", "15"),
        (Decimal("1.50"), "en", "1.5"),
        (Decimal("1.5"), "nl", "1,5"),
        (Decimal("100"), "en", "100"),
        (Decimal("0.25"), "nb", "0,25"),
        (3, "en", "3"),
    ],
)
def test_format_number(value, language, expected):
    assert format_number(value, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "28 February 2027"), ("nl", "28 februari 2027"), ("nb", "28. februar 2027")],
)
def test_format_date(language, expected):
    assert format_date(day("2027-02-28"), language) == expected


def test_report_problems_render_in_dutch(peoplecert):
    report = evaluate(
        peoplecert, context("2025-01-01", exam_passed_on="2024-04-30"), [act("mentoring", "2024-06-01", 3)]
    )
    texts = [render_message(message, peoplecert, "nl") for message in report.problems]
    assert texts[0] == "Add 2 more Werkervaring points by 30 april 2025: the CPD-jaar needs at least 5."


def test_templates_are_plain_english_with_named_placeholders(peoplecert):
    report = evaluate(
        peoplecert, context("2025-01-01", exam_passed_on="2024-04-30"), [act("mentoring", "2024-06-01", 3)]
    )
    for message in report.problems:
        assert "%(" in message.template
        assert message.template.endswith(".")
