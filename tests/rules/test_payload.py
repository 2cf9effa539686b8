"""The evaluation command contract, end to end on plain dicts."""

from __future__ import annotations

import json

import pytest

from schemes.rules import PayloadError, evaluate_payload, shipped_definition

from .support import day


def peoplecert_payload(**extra):
    payload = {
        "scheme": "peoplecert-cpd",
        "exam_passed_on": "2024-04-30",
        "as_of": "2026-04-30",
        "activities": [
            {"type": "mentoring", "date": "2025-06-01", "quantity": 5},
            {"type": "attending-events", "date": "2025-07-01", "quantity": 10},
            {"type": "reading-forums", "date": "2025-08-01", "quantity": 9},
            {"type": "reading", "date": "2025-09-01", "quantity": 2.5},
        ],
    }
    payload.update(extra)
    return payload


def error_lines(payload, **options):
    with pytest.raises(PayloadError) as caught:
        evaluate_payload(payload, **options)
    return caught.value.errors


def test_peoplecert_end_to_end():
    result = evaluate_payload(peoplecert_payload())
    assert result["compliant"] is True
    assert result["total_counted"] == 22.5
    assert result["required_total"] == 20
    assert result["categories"]["community"] == {
        "raw": 19,
        "counted": 15,
        "min": None,
        "max": 15,
        "per": "period",
        "capped": True,
        "missing": 0,
        "sub_caps": {},
    }
    assert [
        (period["start"], period["end"], period["total_counted"], period["compliant"])
        for period in result["periods"]
    ] == [("2024-05-01", "2025-04-30", 0, False), ("2025-05-01", "2026-04-30", 22.5, True)]
    assert result["consecutive_compliant_periods"] == 1
    assert result["explanations"] == [
        "4 of 19 Community points exceed the 15 per CPD year cap (CPD year 1 May 2025 – 30 April 2026)."
    ]
    assert result["sections"] == {}


def test_numbers_are_json_numbers():
    result = evaluate_payload(peoplecert_payload())
    assert isinstance(result["total_counted"], float)
    assert isinstance(result["required_total"], int)
    assert isinstance(result["categories"]["community"]["counted"], int)
    json.dumps(result)


def test_activities_carry_their_index_as_ref_in_date_order():
    payload = peoplecert_payload()
    payload["activities"].reverse()
    activities = evaluate_payload(payload)["activities"]
    assert [(item["ref"], item["points"], item["counted"]) for item in activities] == [
        (3, 5, 5),
        (2, 10, 10),
        (1, 9, 5),
        (0, 2.5, 2.5),
    ]
    assert activities[2]["reasons"] == ["The Community cap of 15 per CPD year is reached."]


def test_an_explicit_ref_is_kept():
    payload = peoplecert_payload(
        activities=[{"type": "mentoring", "date": "2025-06-01", "quantity": 5, "ref": "r-1"}]
    )
    assert evaluate_payload(payload)["activities"][0]["ref"] == "r-1"


def test_noloc_end_to_end_with_sections():
    payload = {
        "scheme": "noloc-register-jobcoach",
        "recertification_date": "2025-06-01",
        "as_of": "2025-05-01",
        "activities": [
            {"type": "course", "date": "2021-05-31", "quantity": 30},
            {"type": "article", "date": "2023-01-01", "quantity": 1, "words": 1500},
            {"type": "register-mentor-assessor", "date": "2024-01-01", "quantity": 1, "candidates": 3},
            {"type": "congress", "date": "2024-02-01", "quantity": 2},
            {"type": "book-read", "date": "2024-03-01", "quantity": 6},
        ],
    }
    result = evaluate_payload(payload)
    assert (
        result["categories"]["training-within-field"]["counted"] == 16
    )  # 6 + min(12, 10); the course is too early
    assert result["categories"]["field-contribution"]["counted"] == 10
    assert result["categories"]["professional-group"]["counted"] == 10
    assert result["periods"] == []
    assert result["cycle"]["start"] == "2021-06-01"
    assert result["sections"]["A2"]["required"] is False
    assert result["sections"]["A3.1"]["meetings_required"] == 2
    assert result["compliant"] is False


def test_ccmg_end_to_end():
    payload = {
        "scheme": "ccmg-cpd",
        "cycle_start": "2024-01-01",
        "as_of": "2024-12-31",
        "designation": "CCSUP",
        "activities": [{"type": "training-course-with-exam", "date": "2024-03-01", "quantity": 25}],
    }
    result = evaluate_payload(payload)
    assert result["periods"][0]["compliant"] is True
    assert result["designation"] == "CCSUP"


def test_cmi_end_to_end():
    result = evaluate_payload(
        {
            "scheme": "cmi-register-loopbaanprofessional",
            "recertification_date": "2026-01-01",
            "as_of": "2025-06-01",
            "activities": [],
        }
    )
    assert result["sections"]["supervisor-statement"]["required"] is True


def test_as_of_defaults_to_today():
    payload = peoplecert_payload()
    del payload["as_of"]
    assert evaluate_payload(payload, today=day("2025-05-01"))["as_of"] == "2025-05-01"


def test_a_given_definition_overrides_the_shipped_one():
    definition = shipped_definition("peoplecert-cpd")
    payload = peoplecert_payload()
    del payload["scheme"]
    assert evaluate_payload(payload, definition)["scheme"] == "peoplecert-cpd"


def test_scheme_of_the_input_must_match_a_given_definition():
    assert error_lines(peoplecert_payload(), defn=shipped_definition("ccmg-cpd")) == [
        "The input is for the scheme 'peoplecert-cpd', not for \"ccmg-cpd\"."
    ]


@pytest.mark.parametrize(
    ("activity", "message"),
    [
        (
            {"type": "mentoring", "date": "2025-06-01", "quantity": 16},
            "activity 0 (mentoring): 16 points is above the per-activity maximum of 15",
        ),
        (
            {"type": "mentoring", "date": "2025-06-01", "quantity": 0},
            "activity 0 (mentoring): the quantity must be more than 0, not 0",
        ),
        (
            {"type": "mentoring", "date": "2025-06-01", "quantity": 1.2},
            "activity 0 (mentoring): 1.2 points is not a multiple of the step of 0.5",
        ),
        (
            {"type": "juggling", "date": "2025-06-01", "quantity": 1},
            'activity 0 (juggling): "juggling" is not an activity type of this scheme',
        ),
        (
            {"type": "mentoring", "date": "2025-13-01", "quantity": 1},
            "activity 0 (mentoring): \"date\" must be a date written as YYYY-MM-DD, not '2025-13-01'.",
        ),
        (
            {"type": "mentoring", "date": "2025-06-01"},
            'activity 0 (mentoring): "quantity" must be a number, not None.',
        ),
        (
            {"type": "mentoring", "date": "2025-06-01", "quantity": True},
            'activity 0 (mentoring): "quantity" must be a number, not True.',
        ),
        ({"date": "2025-06-01", "quantity": 1}, 'activity 0: "type" is required (an activity type code).'),
        ("mentoring", "activity 0: must be an object."),
    ],
)
def test_activity_rule_breaks(activity, message):
    assert error_lines(peoplecert_payload(activities=[activity])) == [message]


def test_below_the_minimum_and_off_the_step():
    activity = {"type": "reading", "date": "2025-06-01", "quantity": 0.25}
    assert error_lines(peoplecert_payload(activities=[activity])) == [
        "activity 0 (reading): 0.25 points is below the per-activity minimum of 0.5",
        "activity 0 (reading): 0.25 points is not a multiple of the step of 0.5",
    ]


def test_article_under_1500_words_names_index_type_and_bound():
    payload = {
        "scheme": "noloc-register-jobcoach",
        "recertification_date": "2026-01-01",
        "activities": [
            {"type": "course", "date": "2024-01-01", "quantity": 3},
            {"type": "article", "date": "2024-01-01", "quantity": 1, "words": 1499},
        ],
    }
    assert error_lines(payload) == [
        "activity 1 (article): Number of words is 1499, below the minimum of 1500"
    ]


def test_every_bad_activity_is_reported():
    activities = [
        {"type": "mentoring", "date": "2025-06-01", "quantity": 16},
        {"type": "mentoring", "date": "2025-06-01", "quantity": 1},
        {"type": "mentoring", "date": "2025-06-01", "quantity": 20},
    ]
    lines = error_lines(peoplecert_payload(activities=activities))
    assert [line.split(":")[0] for line in lines] == ["activity 0 (mentoring)", "activity 2 (mentoring)"]
    with pytest.raises(PayloadError, match="activity 2 \\(mentoring\\): 20 points is above"):
        evaluate_payload(peoplecert_payload(activities=activities))


def test_unknown_scheme():
    assert "Unknown scheme 'unknown'" in error_lines({"scheme": "unknown"})[0]


def test_missing_scheme():
    assert "Unknown scheme None" in error_lines({})[0]


def test_missing_anchor_date():
    payload = peoplecert_payload()
    del payload["exam_passed_on"]
    assert error_lines(payload) == ['"exam_passed_on" must be a date written as YYYY-MM-DD, not None.']


def test_invalid_as_of():
    assert error_lines(peoplecert_payload(as_of="30-04-2026")) == [
        "\"as_of\" must be a date written as YYYY-MM-DD, not '30-04-2026'."
    ]


def test_anchor_of_another_model():
    payload = peoplecert_payload(recertification_date="2026-01-01")
    assert error_lines(payload) == [
        'The peoplecert-cpd scheme does not use "recertification_date"; it needs "exam_passed_on".'
    ]


def test_unknown_field():
    assert error_lines(peoplecert_payload(colour="blue")) == [
        '"colour" is not a field of the evaluation input.'
    ]


def test_missing_designation_for_ccmg():
    payload = {"scheme": "ccmg-cpd", "cycle_start": "2024-01-01", "activities": []}
    assert error_lines(payload) == ["The ccmg-cpd scheme needs a designation: CCSUP, CCOP, CCStP, CCIDP."]


def test_activities_must_be_a_list():
    assert error_lines(peoplecert_payload(activities={})) == ['"activities" must be a list.']


def test_input_must_be_an_object():
    assert error_lines([]) == ["The input must be a JSON object."]


def test_flags_must_be_booleans():
    assert error_lines(peoplecert_payload(dossier_submitted="yes")) == [
        '"dossier_submitted" must be true or false.'
    ]
