"""No account enumeration: the pages answer the same whether an address has an account or not, in every
language; what differs goes by e-mail to the address itself, in its owner's language, and rarely."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

SIGNUP = {"password1": "a-long-new-password-1", "password2": "a-long-new-password-1", "first_name": "Some",
          "last_name": "Body"}

ALREADY_EXISTS_SUBJECT = {
    "en": "Someone tried to create an account with your e-mail address",
    "nl": "Iemand probeerde een account aan te maken met je e-mailadres",
    "nb": "Noen prøvde å opprette en konto med e-postadressen din",
}
ALREADY_EXISTS_LINE = {
    "en": "You already have an account with it, so we did not create another one",
    "nl": "Je hebt er al een account mee, dus we hebben geen tweede aangemaakt",
    "nb": "Du har allerede en konto med den, så vi har ikke opprettet en til",
}
UNKNOWN_SUBJECT = {
    "en": "No account uses this e-mail address",
    "nl": "Geen enkel account gebruikt dit e-mailadres",
    "nb": "Ingen konto bruker denne e-postadressen",
}
PAGE_LANGUAGE_SIGN = {  # a sentence of allauth's "check your e-mail" pages, to be sure they are translated
    "en": "We have sent",
    "nl": "We hebben",
    "nb": "Vi har sendt",
}


def visitor(language: str) -> Client:
    client = Client()
    client.cookies["django_language"] = language
    return client


def same_text(page: str, email: str) -> str:
    """The page with what must differ taken out: the address typed, and the per-request CSRF token."""
    page = page.replace(email, "ADDRESS")
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken"', page)
    return re.sub(r'"X-CSRFToken": "[^"]+"', '"X-CSRFToken"', page)


def sign_up(language: str, email: str, capture) -> str:
    client = visitor(language)
    with capture(execute=True):
        response = client.post(reverse("account_signup"), {"email": email, **SIGNUP})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("account_email_verification_sent")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert not client.session.get("_auth_user_id")
    return same_text(page.content.decode(), email)


def reset(language: str, email: str, capture) -> str:
    client = visitor(language)
    with capture(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == reverse("account_reset_password_done")
    page = client.get(response["Location"])
    assert page.status_code == 200
    return same_text(page.content.decode(), email)


def to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if message.to == [address]]


@pytest.mark.parametrize("language", ["en", "nl", "nb"])
def test_sign_up_with_a_known_address_looks_like_a_new_sign_up_and_mails_the_owner(
        language, alice, django_capture_on_commit_callbacks):
    alice.preferred_language = language
    alice.save(update_fields=["preferred_language"])
    known = sign_up(language, alice.email, django_capture_on_commit_callbacks)
    new = sign_up(language, "newcomer@example.com", django_capture_on_commit_callbacks)
    assert known == new
    assert f'lang="{language}"' in known
    assert PAGE_LANGUAGE_SIGN[language] in known
    assert "already" not in known.lower()
    assert User.objects.filter(email__iexact=alice.email).count() == 1  # no second account, nothing changed
    assert User.objects.get(email=alice.email).check_password(factories.PASSWORD)
    [notice] = to(alice.email)
    assert notice.subject == ALREADY_EXISTS_SUBJECT[language]
    assert ALREADY_EXISTS_LINE[language] in notice.body
    assert alice.email in notice.body
    assert "http://testserver/accounts/login/" in notice.body
    assert "http://testserver/accounts/password/reset/" in notice.body
    [verification] = to("newcomer@example.com")  # the newcomer gets the usual confirmation mail
    assert "/accounts/confirm-email/" in verification.body


@pytest.mark.parametrize("language", ["en", "nl", "nb"])
def test_password_reset_page_is_the_same_for_unknown_and_known_addresses(
        language, alice, django_capture_on_commit_callbacks):
    alice.preferred_language = language
    alice.save(update_fields=["preferred_language"])
    known = reset(language, alice.email, django_capture_on_commit_callbacks)
    unknown = reset(language, "nobody@example.com", django_capture_on_commit_callbacks)
    assert known == unknown
    assert f'lang="{language}"' in known
    assert "not assigned" not in known
    [key] = to(alice.email)
    assert "/accounts/password/reset/key/" in key.body
    [note] = to("nobody@example.com")
    assert note.subject == UNKNOWN_SUBJECT[language]
    assert "http://testserver/accounts/signup/" in note.body
    assert "/accounts/password/reset/key/" not in note.body


def test_the_notice_is_in_the_owners_language_whoever_asks(alice, django_capture_on_commit_callbacks):
    alice.preferred_language = "nb"
    alice.save(update_fields=["preferred_language"])
    sign_up("nl", alice.email, django_capture_on_commit_callbacks)
    [notice] = to(alice.email)
    assert notice.subject == ALREADY_EXISTS_SUBJECT["nb"]


def test_unknown_address_notes_are_rare_but_the_page_never_changes(client, django_capture_on_commit_callbacks):
    """Five resets in a row for an address nobody has: the same page each time, one note in the mailbox."""
    pages = {reset("en", "stranger@example.com", django_capture_on_commit_callbacks) for _attempt in range(5)}
    assert len(pages) == 1
    assert len(to("stranger@example.com")) == 1


def test_repeated_sign_ups_with_a_known_address_mail_the_owner_once(alice, settings,
                                                                    django_capture_on_commit_callbacks):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "confirm_email": None}  # only ours left
    pages = {sign_up("en", alice.email, django_capture_on_commit_callbacks) for _attempt in range(4)}
    assert len(pages) == 1
    assert len(to(alice.email)) == 1


def test_the_login_form_says_the_same_for_an_unknown_address_and_a_wrong_password(client, alice):
    wrong = client.post(reverse("account_login"), {"login": alice.email, "password": "not-it"}).content.decode()
    unknown = client.post(reverse("account_login"), {"login": "nobody@example.com", "password": "not-it"}
                          ).content.decode()
    message = "The email address and/or password you specified are not correct."
    assert message in wrong
    assert message in unknown
