"""The four shipped definitions: they load, round-trip exactly and carry every stable code of SCHEMES.md."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal

import pytest

from schemes.rules import LocalText, dump_definition, load_definition, shipped_definitions
from schemes.rules.shipped import DEFINITIONS_DIR

SHIPPED = ("peoplecert-cpd", "cmi-register-loopbaanprofessional", "noloc-register-jobcoach", "ccmg-cpd")

# The stable codes of SCHEMES.md: category → activity types (a contract for imports, API and exports).
STABLE_TYPES = {
    "peoplecert-cpd": {
        "professional-experience": ["best-practice-at-work", "coaching-colleagues", "mentoring", "shadowing"],
        "community": [
            "organising-events",
            "attending-events",
            "forum-contributions",
            "thought-leadership-articles",
            "reading-forums",
            "volunteering-knowledge",
        ],
        "professional-education": [
            "peoplecert-certification",
            "accredited-certification",
            "other-certification",
            "professional-qualification",
            "in-house-training",
            "reading",
            "podcasts-webinars",
        ],
    },
    "noloc-register-jobcoach": {
        "training-within-field": [
            "course",
            "workshop",
            "congress",
            "book-read",
            "journal-subscription",
            "podcast",
        ],
        "collegial-development": ["peer-meeting"],
        "outside-field": ["congress-outside", "course-outside"],
        "professional-group": [
            "noloc-board",
            "noloc-committee",
            "network-board",
            "network-member",
            "register-mentor-assessor",
            "mentor-other-context",
        ],
        "field-contribution": ["article", "book-written", "noloc-webinar", "lecture"],
        "societal": ["volunteering"],
    },
    "ccmg-cpd": {
        "education-training": ["training-course-with-exam", "in-house-training"],
        "professional-activities": ["webinar", "conference", "other-activity"],
    },
    "cmi-register-loopbaanprofessional": {},
}


def _texts(node, path=""):
    """Every LocalText in a loaded definition, with a readable path."""
    if isinstance(node, LocalText):
        yield path, node
    elif isinstance(node, tuple):
        for index, item in enumerate(node):
            yield from _texts(item, f"{path}[{index}]")
    elif isinstance(node, Mapping):
        for key, item in node.items():
            yield from _texts(item, f"{path}.{key}")
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            if name != "index":
                yield from _texts(getattr(node, name), f"{path}.{name}")


def test_the_four_schemes_ship():
    assert set(shipped_definitions()) == set(SHIPPED)


@pytest.mark.parametrize("code", SHIPPED)
def test_file_name_is_the_code(code):
    assert (DEFINITIONS_DIR / f"{code}.json").is_file()


@pytest.mark.parametrize("code", SHIPPED)
def test_dump_of_load_is_the_shipped_document(code):
    raw = shipped_definitions()[code]
    assert dump_definition(load_definition(raw)) == raw


@pytest.mark.parametrize("code", SHIPPED)
def test_load_of_dump_is_the_same_definition(code):
    definition = load_definition(shipped_definitions()[code])
    assert load_definition(dump_definition(definition)) == definition


@pytest.mark.parametrize("code", SHIPPED)
def test_dump_survives_json_text(code):
    definition = load_definition(shipped_definitions()[code])
    assert load_definition(json.loads(json.dumps(dump_definition(definition)))) == definition


@pytest.mark.parametrize("code", SHIPPED)
def test_files_are_in_canonical_layout(code):
    text = (DEFINITIONS_DIR / f"{code}.json").read_text(encoding="utf-8")
    canonical = dump_definition(load_definition(json.loads(text)))
    assert text == json.dumps(canonical, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("code", SHIPPED)
def test_every_label_is_in_english_dutch_and_norwegian(code):
    definition = load_definition(shipped_definitions()[code])
    missing = [path for path, text in _texts(definition) if set(text.texts) != {"en", "nl", "nb"}]
    assert missing == []


@pytest.mark.parametrize("code", SHIPPED)
def test_stable_categories_and_activity_types(code):
    definition = load_definition(shipped_definitions()[code])
    found = {
        category.code: [
            name for name, item in definition.activity_types.items() if item.category == category.code
        ]
        for category in definition.categories
    }
    assert found == STABLE_TYPES[code]


def test_noloc_sections_and_reading_sub_cap(noloc):
    assert [section.code for section in noloc.sections] == ["A1", "A2", "A3.1", "A3.2", "A4", "B", "C"]
    training = noloc.index.categories["training-within-field"]
    assert [(cap.code, cap.max, cap.activity_types) for cap in training.sub_caps] == [
        ("reading", Decimal(10), ("book-read", "journal-subscription", "podcast"))
    ]


@pytest.mark.parametrize(
    ("code", "minimum", "maximum"),
    [
        ("training-within-field", Decimal(30), None),
        ("collegial-development", None, Decimal(30)),
        ("outside-field", None, Decimal(30)),
        ("professional-group", None, Decimal(30)),
        ("field-contribution", None, Decimal(30)),
        ("societal", None, Decimal(10)),
    ],
)
def test_noloc_category_bounds_per_cycle(noloc, code, minimum, maximum):
    category = noloc.index.categories[code]
    assert (category.per, category.min, category.max) == ("cycle", minimum, maximum)


def test_noloc_totals_and_window(noloc):
    assert noloc.totals.cycle_min == 75
    assert (noloc.cycle.model, noloc.cycle.years) == ("window", 4)


def test_peoplecert_rules(peoplecert):
    points = peoplecert.points
    assert (points.step, points.activity_min, points.activity_max) == (Decimal("0.5"), Decimal("0.5"), 15)
    assert peoplecert.totals.period_min == 20
    renewal = peoplecert.cycle.renewal
    assert (renewal.consecutive_periods, renewal.extends_by_years) == (3, 3)
    assert [item.code for item in peoplecert.prerequisites] == ["peoplecert-plus-membership"]
    assert peoplecert.product_series.per_series


@pytest.mark.parametrize(
    ("code", "yearly", "cycle"),
    [("CCSUP", 25, 75), ("CCOP", 35, 105), ("CCStP", 40, 120), ("CCIDP", 45, 135)],
)
def test_ccmg_designations(ccmg, code, yearly, cycle):
    totals = ccmg.index.designations[code].totals
    assert (totals.period_min, totals.cycle_min) == (yearly, cycle)


def test_ccop_has_education_minimum_per_cycle(ccmg):
    bounds = ccmg.index.designations["CCOP"].category_bounds
    assert [(bound.category, bound.per, bound.min) for bound in bounds] == [
        ("education-training", "cycle", 10)
    ]


def test_ccmg_training_course_is_awarded_on_completion(ccmg):
    assert ccmg.activity_types["training-course-with-exam"].awarded_on_completion


@pytest.mark.parametrize(("code", "assessors"), [("cmi", 2), ("noloc", 1), ("peoplecert", 1), ("ccmg", 1)])
def test_independent_assessors(request, code, assessors):
    assert request.getfixturevalue(code).review.assessors == assessors


def test_cmi_review_validity_and_fees(cmi):
    assert cmi.review.oral_interview_for == ("initial",)
    assert cmi.review.certifying_body.name == "DNV GL"
    assert (
        cmi.validity.years,
        cmi.validity.apply_before_months,
        cmi.validity.apply_preferably_before_months,
    ) == (3, 3, 4)
    fees = {fee.code: (fee.amount, fee.vat_rate, fee.vat_included, fee.per) for fee in cmi.fees}
    assert fees == {
        "certification": (Decimal("650.00"), 21, False, "once"),
        "recertification": (Decimal("625.00"), 21, False, "once"),
        "annual-contribution": (Decimal("133.00"), 21, False, "year"),
        "english-certificate": (Decimal("22.00"), 21, False, "once"),
        "book-loopbaanbegeleiding": (Decimal("25.00"), 6, True, "once"),
    }
    assert {fee.currency for fee in cmi.fees} == {"EUR"}
    assert next(fee for fee in cmi.fees if fee.code == "annual-contribution").reference_date == "01-01"


def test_a2_conflict_is_a_note_for_administrators(noloc):
    notes = [note for note in noloc.notes if note.kind == "conflict"]
    assert [note.path for note in notes] == ["sections[1].exemptions[0]"]
    assert "1 January 2026" in notes[0].text.get("en")
    assert notes[0].text.get("nl") != notes[0].text.get("en")


@pytest.mark.parametrize("code", SHIPPED)
def test_every_scheme_marks_its_defaults(code):
    definition = load_definition(shipped_definitions()[code])
    assert any(note.kind == "default" for note in definition.notes)


def test_shipped_definitions_returns_fresh_copies():
    first = shipped_definitions()
    first["noloc-register-jobcoach"]["label"]["en"] = "changed"
    assert shipped_definitions()["noloc-register-jobcoach"]["label"]["en"] != "changed"
