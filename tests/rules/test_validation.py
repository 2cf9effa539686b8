"""Malformed definitions are rejected with every problem's path and reason."""

from __future__ import annotations

import pytest

from schemes.rules import DefinitionError, load_definition, shipped_definitions


@pytest.fixture
def raw():
    """A fresh, mutable copy of the Noloc document (the richest of the four)."""
    return shipped_definitions()["noloc-register-jobcoach"]


def errors_of(document) -> dict[str, str]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return dict(caught.value.errors)


def test_unknown_formula_kind(raw):
    raw["activity_types"]["article"]["formula"]["kind"] = "per_page"
    errors = errors_of(raw)
    assert "Unknown formula kind" in errors["activity_types.article.formula.kind"]
    assert '"per_page"' in errors["activity_types.article.formula.kind"]


def test_negative_cap(raw):
    raw["categories"][2]["max"] = "-5"
    assert errors_of(raw) == {"categories[2].max": "Must not be negative (-5)."}


def test_non_numeric_bound(raw):
    raw["categories"][2]["max"] = "thirty"
    assert "decimal number written as a string" in errors_of(raw)["categories[2].max"]


def test_bound_as_json_number_is_rejected(raw):
    raw["categories"][2]["max"] = 30
    assert 'such as "0.5"' in errors_of(raw)["categories[2].max"]


def test_minimum_above_maximum(raw):
    raw["categories"][0]["max"] = "20"
    assert errors_of(raw) == {"categories[0].min": "The minimum 30 is greater than the maximum 20."}


def test_activity_type_with_unknown_category(raw):
    raw["activity_types"]["lecture"]["category"] = "lectures"
    assert errors_of(raw) == {"activity_types.lecture.category": 'Unknown category "lectures".'}


def test_unknown_key_at_a_known_level(raw):
    raw["categories"][1]["maximum"] = "30"
    assert errors_of(raw) == {"categories[1].maximum": "This key is not part of the definition format."}


def test_unknown_top_level_key(raw):
    raw["colour"] = "blue"
    assert errors_of(raw) == {"colour": "This key is not part of the definition format."}


def test_missing_english_label(raw):
    del raw["categories"][3]["label"]["en"]
    assert errors_of(raw) == {"categories[3].label.en": "An English text is required."}


def test_bad_language_code(raw):
    raw["label"]["Dutch"] = "Recertificering"
    assert "is not a language code" in errors_of(raw)["label.Dutch"]


def test_bad_date(raw):
    raw["sections"][1]["exemptions"][0]["end"] = "2026-02-30"
    assert "YYYY-MM-DD" in errors_of(raw)["sections[1].exemptions[0].end"]


def test_exemption_that_ends_before_it_starts(raw):
    raw["sections"][1]["exemptions"][0]["start"] = "2027-01-01"
    assert (
        "starts (2027-01-01) after it ends (2026-12-31)" in errors_of(raw)["sections[1].exemptions[0].start"]
    )


def test_duplicate_category_code(raw):
    raw["categories"][5]["code"] = "outside-field"
    assert errors_of(raw)["categories[5].code"] == 'The category code "outside-field" is used twice.'


def test_duplicate_section_code(raw):
    raw["sections"][6]["code"] = "B"
    assert errors_of(raw)["sections[6].code"] == 'The section code "B" is used twice.'


def test_sub_cap_with_type_of_another_category(raw):
    raw["categories"][0]["sub_caps"][0]["activity_types"].append("lecture")
    assert errors_of(raw) == {
        "categories[0].sub_caps[0].activity_types[3]": (
            '"lecture" belongs to the category "field-contribution", not "training-within-field".'
        )
    }


def test_sub_cap_with_unknown_type(raw):
    raw["categories"][0]["sub_caps"][0]["activity_types"][0] = "comic"
    assert errors_of(raw) == {"categories[0].sub_caps[0].activity_types[0]": 'Unknown activity type "comic".'}


def test_formula_with_unknown_unit(raw):
    raw["activity_types"]["podcast"]["formula"]["unit"] = "episodes"
    assert errors_of(raw) == {"activity_types.podcast.formula.unit": 'Unknown quantity unit "episodes".'}


def test_per_half_day_needs_a_whole_unit(raw):
    raw["activity_types"]["congress"]["formula"]["unit"] = "sbu"
    assert "counts whole things" in errors_of(raw)["activity_types.congress.formula.unit"]


def test_candidates_formula_needs_an_integer_attribute(raw):
    raw["activity_types"]["register-mentor-assessor"]["attributes"] = []
    errors = errors_of(raw)
    assert "integer attribute" in errors["activity_types.register-mentor-assessor.formula.attribute"]


def test_formula_missing_a_rate(raw):
    del raw["activity_types"]["congress"]["formula"]["per_day"]
    assert errors_of(raw) == {"activity_types.congress.formula.per_day": "A value is required."}


def test_bounds_on_a_text_attribute(raw):
    attribute = raw["activity_types"]["article"]["attributes"][0]
    attribute["type"] = "text"
    assert "Only integer and decimal attributes" in errors_of(raw)["activity_types.article.attributes[0].min"]


def test_window_model_has_no_period_scope(raw):
    raw["categories"][5]["per"] = "period"
    assert 'has no "period" scope' in errors_of(raw)["categories[5].per"]


def test_window_model_needs_years(raw):
    raw["cycle"]["years"] = None
    assert errors_of(raw) == {"cycle.years": "The window model needs a number of years."}


def test_reminder_anchor_must_exist_in_the_model(raw):
    raw["reminders"][0]["anchor"] = "period_end"
    assert 'has no "period_end" date' in errors_of(raw)["reminders[0].anchor"]


def test_year_table_rows_in_order(raw):
    rows = raw["sections"][2]["year_table"]["rows"]
    rows[1]["from_year"] = 2024
    assert errors_of(raw) == {
        "sections[2].year_table.rows[1].from_year": "Rows must be in increasing year order."
    }


def test_year_table_row_with_missing_column(raw):
    del raw["sections"][2]["year_table"]["rows"][0]["values"]["situations_required"]
    assert "exactly the columns" in errors_of(raw)["sections[2].year_table.rows[0].values"]


def test_statement_count_from_unknown_column(raw):
    raw["sections"][2]["requirements"][0]["count"] = "meetings"
    assert "not a column" in errors_of(raw)["sections[2].requirements[0].count"]


def test_unknown_requirement_kind(raw):
    raw["sections"][5]["requirements"][0]["kind"] = "video"
    assert "Unknown requirement kind" in errors_of(raw)["sections[5].requirements[0].kind"]


def test_note_path_must_point_somewhere(raw):
    raw["notes"][0]["path"] = "sections[9].exemptions[0]"
    assert "does not point at anything" in errors_of(raw)["notes[0].path"]


def test_negative_integer(raw):
    raw["review"]["assessors"] = 0
    assert errors_of(raw) == {"review.assessors": "Must be at least 1, not 0."}


def test_boolean_where_a_number_belongs(raw):
    raw["review"]["assessors"] = True
    assert errors_of(raw) == {"review.assessors": "Must be a whole number, not true."}


def test_unsupported_format(raw):
    raw["format"] = 2
    assert errors_of(raw) == {"format": "Only format 1 is supported."}


def test_missing_required_part(raw):
    del raw["review"]
    assert errors_of(raw) == {"review": "A value is required."}


def test_activity_type_code_must_be_kebab_case(raw):
    raw["activity_types"]["Lecture Given"] = raw["activity_types"].pop("lecture")
    assert "is not a valid code" in errors_of(raw)["activity_types.Lecture Given"]


def test_not_an_object():
    assert errors_of(["not", "a", "definition"]) == {
        "definition": "A scheme definition must be a JSON object."
    }


def test_every_problem_is_reported_at_once(raw):
    raw["categories"][2]["max"] = "-5"
    raw["activity_types"]["article"]["formula"]["kind"] = "per_page"
    raw["activity_types"]["lecture"]["category"] = "lectures"
    raw["fees"] = [{"code": "x"}]
    errors = errors_of(raw)
    assert {
        "categories[2].max",
        "activity_types.article.formula.kind",
        "activity_types.lecture.category",
        "fees[0].label",
        "fees[0].amount",
    } <= set(errors)


def test_error_message_lists_paths_and_reasons(raw):
    raw["categories"][2]["max"] = "-5"
    raw["categories"][3]["min"] = "x"
    with pytest.raises(DefinitionError) as caught:
        load_definition(raw)
    text = str(caught.value)
    assert "(2 problems)" in text
    assert "- categories[2].max: Must not be negative (-5)." in text
    assert "- categories[3].min: Must be a decimal number" in text


def test_optional_keys_may_be_left_out(raw):
    minimal = {key: raw[key] for key in ("format", "code", "version", "label", "points", "cycle", "review")}
    definition = load_definition(minimal)
    assert definition.categories == ()
    assert definition.activity_types == {}


def test_problems_are_translatable_messages_with_raw_parameters():
    from schemes.rules import Message, render_message

    raw = shipped_definitions()["noloc-register-jobcoach"]
    raw["categories"][2]["max"] = "-5"
    with pytest.raises(DefinitionError) as caught:
        load_definition(raw)
    ((path, message),) = caught.value.problems
    assert path == "categories[2].max"
    assert message == Message("definition", "Must not be negative (%(value)s).", {"value": "-5"})
    dutch = {"Must not be negative (%(value)s).": "Mag niet negatief zijn (%(value)s)."}
    assert render_message(message, None, "nl", lambda template: dutch.get(template, template)) == (
        "Mag niet negatief zijn (-5).")
    assert caught.value.errors == [(path, "Must not be negative (-5).")]
