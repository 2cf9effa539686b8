"""The readable list of changes between two definition documents (import and edit previews)."""

from __future__ import annotations

from schemes.rules import diff_definitions, shipped_definitions


def noloc():
    return shipped_definitions()["noloc-register-jobcoach"]


def test_identical_documents_have_no_changes():
    assert diff_definitions(noloc(), noloc()) == []


def test_a_changed_cap_is_named_by_the_category_code():
    new = noloc()
    new["categories"][5]["max"] = "15"
    [change] = diff_definitions(noloc(), new)
    assert (change.path, change.kind, change.old, change.new) == (
        "categories[societal].max",
        "changed",
        "10",
        "15",
    )


def test_a_changed_label():
    new = noloc()
    new["activity_types"]["lecture"]["label"]["nl"] = "Lezing"
    [change] = diff_definitions(noloc(), new)
    assert change.path == "activity_types.lecture.label.nl"
    assert change.new == "Lezing"


def test_added_and_removed_activity_types():
    new = noloc()
    new["activity_types"]["keynote"] = new["activity_types"].pop("lecture")
    changes = diff_definitions(noloc(), new)
    assert [(change.path, change.kind) for change in changes] == [
        ("activity_types.lecture", "removed"),
        ("activity_types.keynote", "added"),
    ]
    assert changes[0].old == noloc()["activity_types"]["lecture"]


def test_reordered_coded_list():
    new = noloc()
    new["sections"].reverse()
    [change] = diff_definitions(noloc(), new)
    assert change.kind == "reordered"
    assert change.new[0] == "C"


def test_list_items_without_codes_are_compared_by_position():
    new = noloc()
    new["reminders"][0]["offsets"].append({"amount": 2, "unit": "weeks", "direction": "before"})
    new["reminders"][0]["offsets"][0]["amount"] = 5
    changes = diff_definitions(noloc(), new)
    assert [(change.path, change.kind) for change in changes] == [
        ("reminders[submit-portfolio].offsets[0].amount", "changed"),
        ("reminders[submit-portfolio].offsets[3]", "added"),
    ]


def test_a_value_that_changes_type_is_a_change():
    new = noloc()
    new["review"]["assessors"] = True
    old = noloc()
    old["review"]["assessors"] = 1
    assert [change.path for change in diff_definitions(old, new)] == ["review.assessors"]


def test_a_removed_note():
    new = noloc()
    del new["notes"][0]
    changes = diff_definitions(noloc(), new)
    assert changes[0].path == "notes[0].path"
