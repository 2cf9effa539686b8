"""Accounts: sign-up, profile, language, MFA errors, unknown organisations, health."""

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.forms import latest_date_of_birth
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_refused_sign_up_keeps_the_input(client):
    response = client.post(reverse("account_signup"), {
        "email": "again@example.com", "password1": "a-long-new-password-1", "password2": "another-password-2",
        "first_name": "Alice", "last_name": "Again"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "You must type the same password each time." in body
    assert 'value="Again"' in body
    assert 'value="again@example.com"' in body


def test_a_refused_sign_up_speaks_dutch(client):
    client.cookies["django_language"] = "nl"
    response = client.post(reverse("account_signup"), {
        "email": "again@example.com", "password1": "a-long-new-password-1", "password2": "another-password-2",
        "first_name": "Alice", "last_name": "Again"})
    assert "Je moet hetzelfde wachtwoord twee keer intoetsen." in response.content.decode()


def test_signup_requires_verification_before_login(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_signup"), {
            "email": "newbie@example.com", "password1": "a-long-new-password-1",
            "password2": "a-long-new-password-1", "first_name": "New", "last_name": "Bie"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert len(mailoutbox) == 1
    assert "newbie@example.com" in mailoutbox[0].to
    assert not client.session.get("_auth_user_id")


def test_unknown_organisation_gives_a_clear_404(client, alice):
    client.force_login(alice)
    response = client.get("/no-such-body/")
    assert response.status_code == 404
    assert "no organisation at this address" in response.content.decode()


def test_unknown_organisation_404_in_norwegian(client, alice):
    alice.preferred_language = "nb"
    alice.save()
    client.force_login(alice)
    response = client.get("/no-such-body/")
    assert response.status_code == 404
    assert 'lang="nb"' in response.content.decode()


def test_profile_keeps_input_on_error(client, alice):
    client.force_login(alice)
    response = client.post(reverse("profile"), {"first_name": "", "last_name": "Liddell", "phone": "call me",
                                                "address": "1 Rabbit Hole", "preferred_language": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert "This field is required" in body
    assert "Enter a phone number" in body
    assert "1 Rabbit Hole" in body
    response = client.post(reverse("profile"), {"first_name": "Alice", "last_name": "Liddell",
                                                "phone": "+31 20 123 4567", "date_of_birth": "1990-02-28",
                                                "preferred_language": "nl"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.phone == "+31 20 123 4567"
    assert alice.preferred_language == "nl"


def test_language_switch_is_saved_for_signed_in_users(client, org_a, alice):
    client.force_login(alice)
    response = client.post(reverse("set_language"), {"language": "nb", "next": f"/{org_a.slug}/"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.preferred_language == "nb"
    page = client.get(f"/{org_a.slug}/")
    assert "Hjem" in page.content.decode()


def test_language_switch_refuses_offsite_next(client):
    response = client.post(reverse("set_language"), {"language": "nl", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_organisation_switcher_lists_only_own_memberships(client, org_a, org_b, alice, charlie):
    factories.member(org_b, alice.email, "professional")
    client.force_login(alice)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert org_a.name in body
    assert org_b.name in body
    client.force_login(charlie)
    assert client.get("/")["Location"] == f"/{org_b.slug}/"


def test_wrong_totp_code_is_refused_with_a_message(client, alice):
    secret = totp_auth.generate_totp_secret()
    totp_auth.TOTP.activate(alice, secret)
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    response = client.post(reverse("account_login"), {"login": alice.email, "password": factories.PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not client.session.get("_auth_user_id")
    counter = next(totp_auth.yield_hotp_counters_from_time())
    good = totp_auth.format_hotp_value(totp_auth.hotp_value(secret, counter))
    response = client.post(reverse("mfa_authenticate"), {"code": good})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(alice.pk)


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_healthz_reports_database_and_broker(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


def test_healthz_reports_an_unreachable_broker(client, settings):
    from config.celery import app

    settings.CELERY_TASK_ALWAYS_EAGER = False
    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 200
    assert response.json()["broker"] == "unreachable"


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "Deze uitnodiging is verlopen"),
    ("nb", "Denne invitasjonen har utløpt"),
])
def test_expired_invitation_message_in_the_users_language(client, org_a, language, expected):
    from datetime import timedelta

    from django.utils import timezone

    _invitation, token = factories.invitation(org_a, "late@example.com",
                                              expires_at=timezone.now() - timedelta(days=1))
    late = factories.user("late@example.com", preferred_language=language)
    client.force_login(late)
    response = client.post(reverse("invitation_accept", kwargs={"org": org_a.slug, "token": token}))
    assert response.status_code == 400
    assert expected in response.content.decode()


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "Er is geen organisatie op dit adres"),
    ("nb", "Det finnes ingen organisasjon på denne adressen"),
])
def test_unknown_organisation_message_in_the_users_language(client, alice, language, expected):
    alice.preferred_language = language
    alice.save()
    client.force_login(alice)
    response = client.get("/no-such-body/")
    assert response.status_code == 404
    assert expected in response.content.decode()


def test_wrong_totp_code_message_in_dutch(client, alice):
    totp_auth.TOTP.activate(alice, totp_auth.generate_totp_secret())
    client.cookies["django_language"] = "nl"
    client.post(reverse("account_login"), {"login": alice.email, "password": factories.PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "Ongeldige code" in response.content.decode()


@pytest.mark.parametrize("born", ["0001-01-01", "1899-12-31", "2030-01-01"])
def test_an_implausible_date_of_birth_is_refused_naming_the_bounds(client, alice, born):
    client.force_login(alice)
    latest = latest_date_of_birth(timezone.localdate())
    response = client.post(reverse("profile"), {"first_name": "Alice", "last_name": "Liddell",
                                                "date_of_birth": born, "preferred_language": "en"})
    body = response.content.decode()
    assert response.status_code == 200
    assert f"Enter a date of birth from 1 January 1900 to {date_format(latest, 'DATE_FORMAT')}." in body
    alice.refresh_from_db()
    assert alice.date_of_birth is None


def test_the_date_of_birth_bounds_are_inclusive(client, alice):
    client.force_login(alice)
    latest = latest_date_of_birth(timezone.localdate())
    for born in (dt.date(1900, 1, 1), latest):
        response = client.post(reverse("profile"), {"first_name": "Alice", "last_name": "Liddell",
                                                    "date_of_birth": born.isoformat(), "preferred_language": "en"})
        assert response.status_code == 302
        alice.refresh_from_db()
        assert alice.date_of_birth == born
    too_young = (latest + dt.timedelta(days=1)).isoformat()
    response = client.post(reverse("profile"), {"first_name": "Alice", "last_name": "Liddell",
                                                "preferred_language": "en", "date_of_birth": too_young})
    assert response.status_code == 200


def test_sixteen_years_before_29_february_is_28_february_when_that_year_has_none():
    assert latest_date_of_birth(dt.date(2116, 2, 29)) == dt.date(2100, 2, 28)
    assert latest_date_of_birth(dt.date(2028, 2, 29)) == dt.date(2012, 2, 29)
    assert latest_date_of_birth(dt.date(2027, 3, 1)) == dt.date(2011, 3, 1)


def test_the_date_of_birth_bound_is_worded_in_dutch_and_norwegian(client, alice):
    client.force_login(alice)
    for language, text in (("nl", "Vul een geboortedatum in van 1 januari 1900"),
                           ("nb", "Fyll inn en fødselsdato fra 1. januar 1900")):
        alice.preferred_language = language
        alice.save(update_fields=["preferred_language"])
        response = client.post(reverse("profile"), {"first_name": "Alice", "last_name": "Liddell",
                                                    "date_of_birth": "0001-01-01", "preferred_language": language})
        assert text in response.content.decode()
