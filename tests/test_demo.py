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
            # The demo professional's certification, plus the certificates app's expired and suspended holders.
            assert Certification.objects.filter(organisation__slug=slug).count() == 3
        assert Activity.objects.filter(organisation__slug="noloc").count() == 4
    assert client.login(email="professional@noloc.demo", password="demo-password-2026")
    assert "Certificaat NOLOC-0001" in client.get("/noloc/").content.decode()  # the demo user reads Dutch


def test_seed_demo_leaves_a_certificate_in_each_state_and_demo_logins_prints_a_verification_link(client):
    import io

    from certificates.models import Certificate
    from certificates.services import public_status

    call_command("seed_demo")
    with maintenance():
        for slug in ("peoplecert", "cmi", "noloc", "ccmg"):
            states = {public_status(item.certification)
                      for item in Certificate.objects.filter(organisation__slug=slug).select_related("certification")}
            assert states == {"valid", "expired", "suspended"}, slug
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    link = next(line for line in out.getvalue().splitlines() if "/verify/" in line).split()[-1]
    path = link[link.index("/verify/"):]
    response = client.get(path, headers={"accept": "application/json"})
    assert response.json()["status"] == "valid"
