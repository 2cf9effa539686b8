"""Fixtures for the database-free rules-engine tests: the four shipped definitions, loaded once."""

from __future__ import annotations

import pytest

from schemes.rules import SchemeDefinition, shipped_definition


@pytest.fixture(scope="session")
def peoplecert() -> SchemeDefinition:
    return shipped_definition("peoplecert-cpd")


@pytest.fixture(scope="session")
def noloc() -> SchemeDefinition:
    return shipped_definition("noloc-register-jobcoach")


@pytest.fixture(scope="session")
def ccmg() -> SchemeDefinition:
    return shipped_definition("ccmg-cpd")


@pytest.fixture(scope="session")
def cmi() -> SchemeDefinition:
    return shipped_definition("cmi-register-loopbaanprofessional")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Overrides the project-wide cache reset: the pure engine uses no cache, so these tests need no
    Redis or database (under pytest-django that reset would otherwise reach for one)."""
