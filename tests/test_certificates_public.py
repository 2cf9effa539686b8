"""Verification by anyone and the public register (issue 11 items 4 and 5): only name, number, scheme, scope,
status and validity; JSON on request; rate-limited; unknown codes say so without hinting; the register changes the
moment a certificate does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from accounts.tenancy import maintenance
from certificates import services
from certificates.models import Certificate
from portfolios.models import Certification
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


def certificate(org, holder, code="cmi-register-loopbaanprofessional", scope=(), city="", **fields):
    with maintenance():
        fields.setdefault("expires_on", TODAY + dt.timedelta(days=300))
        fields.setdefault("recertification_date", fields["expires_on"])
        fields.setdefault("issued_on", TODAY - dt.timedelta(days=700))
        certification = factories.certification(org, holder, code, **fields)
        found, _created = services.certificate_ensure(certification, scope=list(scope))
        found.city = city
        found.save()
        return Certificate.objects.select_related("certification").get(pk=found.pk)


def set_status(item, status):
    with maintenance():
        Certification.objects.filter(pk=item.certification_id).update(status=status)


@pytest.mark.parametrize(("status", "expires", "expected"), [
    ("active", 30, "valid"), ("active", -1, "expired"), ("lapsed", -40, "expired"), ("suspended", 30, "suspended"),
    ("withdrawn", 30, "withdrawn"),
])
def test_verification_says_the_status_in_html_and_json(client, org_a, alice, status, expires, expected):
    item = certificate(org_a, alice, scope=["outplacement"], expires_on=TODAY + dt.timedelta(days=expires))
    set_status(item, status)
    url = reverse("verify", kwargs={"code": item.code})
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Alice Person" in body
    assert item.certification.number in body
    data = client.get(url, headers={"accept": "application/json"}).json()
    assert data["status"] == expected
    assert data["holder"] == "Alice Person"
    assert data["number"] == item.certification.number
    assert data["scheme"] == "CMI Register Loopbaanprofessional"
    assert data["scope"] == ["Outplacement"]
    assert data["valid_until"] == (TODAY + dt.timedelta(days=expires)).isoformat()
    assert data["certifying_body"] == "DNV GL"


def test_verification_shows_only_the_public_facts(client, org_a, alice):
    item = certificate(org_a, alice)
    data = client.get(reverse("verify", kwargs={"code": item.code}), headers={"accept": "application/json"}).json()
    assert set(data) == {"status", "holder", "number", "scheme", "scope", "valid_from", "valid_until",
                         "suspended_until", "certifying_body", "organisation", "code"}
    page = client.get(reverse("verify", kwargs={"code": item.code})).content.decode()
    assert "alice@example.com" not in page
    assert "points" not in page.lower()


def test_codes_are_read_forgivingly_and_unknown_ones_say_so_without_hinting(client, org_a, alice):
    item = certificate(org_a, alice)
    sloppy = item.code.lower().replace("-", "")
    assert client.get(reverse("verify", kwargs={"code": sloppy})).status_code == 200
    wrong = item.code[:-1] + ("A" if item.code[-1] != "A" else "B")
    page = client.get(reverse("verify", kwargs={"code": wrong}))
    assert page.status_code == 404
    assert "No certificate has this verification code" in page.content.decode()
    assert item.certification.number not in page.content.decode()
    data = client.get(reverse("verify", kwargs={"code": wrong}), headers={"accept": "application/json"})
    assert data.status_code == 404
    assert data.json()["status"] == "unknown"
    assert set(data.json()) == {"status", "message"}


def test_the_code_form_leads_to_the_verification_page(client, org_a, alice):
    item = certificate(org_a, alice)
    response = client.get(reverse("verify_start"), {"code": item.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == reverse("verify", kwargs={"code": item.code})


def test_verification_is_rate_limited(client, org_a, alice, settings):
    settings.VERIFY_RATE_LIMIT = 3
    item = certificate(org_a, alice)
    url = reverse("verify", kwargs={"code": item.code})
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(url, headers={"accept": "application/json"})
    assert limited.status_code == 429
    assert limited.json()["status"] == "rate_limited"


def test_the_register_lists_valid_certificates_unless_opted_out(client, org_a, alice, bob):
    listed = certificate(org_a, alice, scope=["career-coaching"], city="Utrecht", number="CMI-1")
    hidden = certificate(org_a, bob, number="CMI-2")
    carol = factories.member(org_a, "carol@example.com", "professional", first_name="Carol")
    expired = certificate(org_a, carol, number="CMI-3", expires_on=TODAY - dt.timedelta(days=1))
    with maintenance():
        Certificate.objects.filter(pk=hidden.pk).update(register=Certificate.Register.HIDDEN)
    url = reverse("public_register", kwargs={"org": org_a.slug})
    body = client.get(url).content.decode()
    assert "CMI-1" in body
    assert "CMI-2" not in body
    assert "CMI-3" not in body
    assert "Utrecht" in body
    assert "Career coaching" in body
    assert "alice@example.com" not in body
    # It changes the moment the certificate is suspended.
    set_status(listed, "suspended")
    assert "CMI-1" not in client.get(url).content.decode()
    assert expired.code not in body


def test_where_the_register_is_not_public_holders_opt_in(client, org_a, alice, bob):
    certificate(org_a, alice, "peoplecert-cpd", number="PC-1", exam_passed_on=dt.date(2024, 1, 1),
                recertification_date=None)
    opted_in = certificate(org_a, bob, "peoplecert-cpd", number="PC-2", exam_passed_on=dt.date(2024, 1, 1),
                           recertification_date=None)
    with maintenance():
        Certificate.objects.filter(pk=opted_in.pk).update(register=Certificate.Register.LISTED)
    body = client.get(reverse("public_register", kwargs={"org": org_a.slug})).content.decode()
    assert "PC-2" in body
    assert "PC-1" not in body


def test_the_register_searches_by_name_number_scope_and_city(client, org_a, alice, bob):
    certificate(org_a, alice, scope=["career-coaching"], city="Utrecht", number="CMI-1")
    certificate(org_a, bob, scope=["outplacement"], city="Zwolle", number="CMI-2")
    url = reverse("public_register", kwargs={"org": org_a.slug})

    def numbers(**query):
        body = client.get(url, query).content.decode()
        return {number for number in ("CMI-1", "CMI-2") if number in body}

    assert numbers(q="alice") == {"CMI-1"}
    assert numbers(number="cmi-2") == {"CMI-2"}
    assert numbers(scope="outplacement") == {"CMI-2"}
    assert numbers(city="utre") == {"CMI-1"}
    assert numbers() == {"CMI-1", "CMI-2"}


def test_the_register_is_paged_in_constant_queries(client, org_a, django_assert_max_num_queries):
    def add(count):
        for _ in range(count):
            number = Certificate.objects.filter(organisation=org_a).count()
            holder = factories.member(org_a, f"r{number}@example.com", "professional", last_name=f"R{number:03}")
            certificate(org_a, holder, number=f"REG-{number:03}")

    url = reverse("public_register", kwargs={"org": org_a.slug})
    with maintenance():
        add(1)
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    with maintenance():
        add(40)
    with django_assert_max_num_queries(len(one)):
        first = client.get(url).content.decode()
    assert first.count("REG-") == 25
    assert "Page 1 of 2" in first
    assert client.get(url, {"page": 2}).content.decode().count("REG-") == 16


def test_another_organisations_register_shows_only_its_own(client, org_a, org_b, alice, charlie):
    certificate(org_a, alice, number="A-1")
    certificate(org_b, charlie, number="B-1")
    body = client.get(reverse("public_register", kwargs={"org": org_b.slug})).content.decode()
    assert "B-1" in body
    assert "A-1" not in body
    assert client.get(reverse("public_register", kwargs={"org": "nowhere"})).status_code == 404


def test_the_holder_sees_their_certificates_and_sets_the_register_entry(client, org_a, alice, bob):
    item = certificate(org_a, alice)
    certificate(org_a, bob, number="BOB-1")
    client.force_login(alice)
    page = client.get(reverse("my_certificates", kwargs={"org": org_a.slug})).content.decode()
    assert item.code in page
    assert "BOB-1" not in page
    response = client.post(reverse("register_entry", kwargs={"org": org_a.slug, "pk": item.pk}),
                           {f"c{item.pk}-register": "hidden", f"c{item.pk}-city": "Arnhem"})
    assert response.status_code == 302
    with maintenance():
        saved = Certificate.objects.get(pk=item.pk)
    assert (saved.register, saved.city) == ("hidden", "Arnhem")
    bobs = Certificate.objects.get(certification__number="BOB-1")
    other = client.post(reverse("register_entry", kwargs={"org": org_a.slug, "pk": bobs.pk}),
                        {f"c{bobs.pk}-register": "hidden"})
    assert other.status_code == 404
