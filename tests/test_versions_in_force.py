"""The version in force (one SchemeVersion queryset method) and a holder's certifications with it."""

import datetime as dt

import pytest

from accounts.tenancy import maintenance
from portfolios import reports
from portfolios.models import Certification
from schemes.models import SchemeVersion
from schemes.services import scheme_adopt
from tests import factories

pytestmark = pytest.mark.django_db
NOLOC, CMI = "noloc-register-jobcoach", "cmi-register-loopbaanprofessional"


def another_version(first: SchemeVersion, number: int, effective_from: dt.date) -> SchemeVersion:
    with maintenance():
        return SchemeVersion.objects.create(organisation=first.organisation, code=first.code, version=number,
                                            definition=first.definition, effective_from=effective_from,
                                            source=SchemeVersion.Source.EDITED, based_on=first)


@pytest.fixture
def noloc(org_a, ada):
    return scheme_adopt(organisation=org_a, code=NOLOC, by=ada, effective_from=dt.date(2026, 1, 1))


def test_in_force_takes_the_latest_effective_date_then_the_highest_number(org_a, org_b, ada, charlie, noloc,
                                                                         django_assert_num_queries):
    v2 = another_version(noloc, 2, dt.date(2027, 1, 1))
    v3 = another_version(noloc, 3, dt.date(2027, 1, 1))
    cmi = scheme_adopt(organisation=org_a, code=CMI, by=ada, effective_from=dt.date(2026, 6, 1))
    scheme_adopt(organisation=org_b, code=NOLOC, by=charlie, effective_from=dt.date(2020, 1, 1))
    versions = SchemeVersion.objects.for_organisation(org_a)
    with django_assert_num_queries(1):
        assert versions.in_force(dt.date(2026, 12, 31)) == {NOLOC: noloc, CMI: cmi}
    assert versions.in_force(dt.date(2027, 1, 1)) == {NOLOC: v3, CMI: cmi}
    assert versions.in_force(dt.date(2026, 3, 1), codes=[NOLOC, CMI]) == {NOLOC: noloc}
    assert versions.in_force(dt.date(2027, 1, 1), codes={CMI}) == {CMI: cmi}
    assert versions.in_force(dt.date(2025, 1, 1)) == {}
    for on in (dt.date(2026, 1, 1), dt.date(2027, 1, 1), dt.date.max):
        assert versions.in_force(on).get(NOLOC) == versions.current(NOLOC, on=on)
    assert v2 not in versions.in_force(dt.date.max).values()


def test_held_certifications_with_the_version_in_force(org_a, alice, ada, noloc, django_assert_num_queries):
    second = factories.certification(org_a, alice, NOLOC, number="B-2")
    first = factories.certification(org_a, alice, NOLOC, number="A-1")
    factories.certification(org_a, alice, NOLOC, number="C-3", status=Certification.Status.WITHDRAWN)
    factories.certification(org_a, ada, NOLOC, number="D-4")
    v2 = another_version(noloc, 2, dt.date(2027, 1, 1))
    with django_assert_num_queries(2):
        held = reports.held_certifications(org_a, alice, dt.date(2027, 2, 1))
    assert held == [(first, v2), (second, v2)]
    # Before any version is in force, each keeps the version it was issued under.
    assert reports.held_certifications(org_a, alice, dt.date(2025, 1, 1)) == [(first, noloc), (second, noloc)]
    assert reports.held_certifications(org_a, ada) == [(Certification.objects.get(number="D-4"), noloc)]
