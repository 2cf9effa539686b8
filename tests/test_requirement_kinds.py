"""The requirement kinds registry (dossiers/requirements.py): every kind the engine defines is registered,
with a PDF partial that exists; the section form and the service take what each kind registers."""

from __future__ import annotations

import pytest
from django.template.loader import get_template

from dossiers.requirements import KINDS, kind_of
from schemes.rules.definition import REQUIREMENT_KINDS


@pytest.mark.parametrize("requirement_class", REQUIREMENT_KINDS, ids=lambda cls: cls.KIND)
def test_every_engine_kind_is_registered_with_a_pdf_partial(requirement_class):
    kind = kind_of(requirement_class.KIND)
    assert kind.code == requirement_class.KIND
    assert get_template(kind.pdf_partial)
    # A kind the section form edits also says what it stores, and the other way round.
    assert (kind.fields is None) == (kind.values is None) == (kind.save is None)


def test_the_registry_knows_no_kind_the_engine_does_not():
    assert set(KINDS) == {cls.KIND for cls in REQUIREMENT_KINDS}


def test_only_questions_declarations_and_choices_are_edited_on_the_section_form():
    assert {code for code, kind in KINDS.items() if kind.fields} == {"questions", "declaration", "choice"}
