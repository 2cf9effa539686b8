"""The run command's demo data: four organisations, every role, a scheme and a portfolio each; idempotent."""

import pytest
from django.core.management import call_command

from accounts.models import Membership, Organisation
from accounts.tenancy import maintenance
from portfolios.models import Activity, Certification
from schemes.models import SchemeVersion

pytestmark = pytest.mark.django_db


def test_seed_demo_is_complete_and_idempotent(client):
    call_command("seed_demo")
    call_command("seed_demo")
    with maintenance():
        assert set(Organisation.objects.values_list("slug", flat=True)) >= {"peoplecert", "cmi", "noloc", "ccmg"}
        for slug in ("peoplecert", "cmi", "noloc", "ccmg"):
            members = Membership.objects.filter(organisation__slug=slug)
            assert {str(r) for m in members for r in m.roles} == {"professional", "assessor", "decision_maker",
                                                                  "admin"}
            assert SchemeVersion.objects.filter(organisation__slug=slug).count() == 1
            assert Certification.objects.filter(organisation__slug=slug).count() == 1
        assert Activity.objects.filter(organisation__slug="noloc").count() == 4
    assert client.login(email="professional@noloc.demo", password="demo-password-2026")
    assert "Certificaat NOLOC-0001" in client.get("/noloc/").content.decode()  # the demo user reads Dutch
