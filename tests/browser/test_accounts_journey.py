"""Sign up, verify by e-mail, sign in, turn on TOTP, sign in again with a code, switch language."""


import pytest
from allauth.mfa.totp.internal import auth as totp_auth
from playwright.sync_api import expect

from tests.text import first_match

pytestmark = pytest.mark.django_db(transaction=True)


def current_code(secret: str) -> str:
    return totp_auth.format_hotp_value(totp_auth.hotp_value(secret, next(totp_auth.yield_hotp_counters_from_time())))


def test_signup_verify_mfa_and_languages(new_page, mailoutbox):
    page = new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Surname").fill("Nieuw")
    page.get_by_label("Email").fill("nora@example.com")
    page.locator("#id_password1").fill("a-long-and-unusual-passphrase")
    page.locator("#id_password2").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")

    # The verification mail, opened by the same person later, in another browser.
    assert len(mailoutbox) == 1
    link = first_match(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body)
    mail_page = new_page()
    mail_page.goto(link)
    mail_page.get_by_role("button", name="Confirm").click()
    expect(mail_page.get_by_role("heading", level=1)).to_contain_text("Sign In")

    # Sign in with the password.
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("nora@example.com")
    page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your organisations")

    # Turn on TOTP: read the secret the page shows, answer with a code from it.
    page.goto("/accounts/2fa/totp/activate/")
    if "/reauthenticate/" in page.url:  # allauth confirms the password before security changes
        page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
        page.get_by_role("button", name="Confirm").click()
    secret = page.locator("#authenticator_secret").input_value()
    assert len(secret) >= 16
    page.get_by_label("Authenticator code").fill(current_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("body")).to_contain_text("Recovery Codes")

    # Sign out, then in again: password, then a TOTP code.
    page.goto("/")
    page.get_by_role("button", name="Nora Nieuw").click()
    page.get_by_role("button", name="Sign out").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("nora@example.com")
    page.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Two-Factor Authentication")
    page.locator("#id_code").fill("000001" if current_code(secret) != "000001" else "000002")
    page.get_by_role("button", name="Sign In").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Incorrect code")
    # allauth refuses a code that was already used; the next time step gives a fresh one.
    page.wait_for_timeout(100)
    page.locator("#id_code").fill(next_fresh_code(secret))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your organisations")

    # Language: Dutch, then Norwegian; the navigation follows.
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Change").click()
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    expect(nav).to_be_visible()
    page.get_by_role("button", name="Nora Nieuw").click()
    expect(nav.get_by_role("link", name="Profiel")).to_be_visible()
    page.get_by_label("Taal").select_option("nb")
    page.get_by_role("button", name="Wijzig").click()
    nav = page.get_by_role("navigation", name="Hovedmeny")
    page.get_by_role("button", name="Nora Nieuw").click()
    expect(nav.get_by_role("link", name="Profil")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "nb")


def next_fresh_code(secret: str) -> str:
    """A valid code not used before: the activation used the current step's code, so wait for the next."""
    import time

    used = current_code(secret)
    deadline = time.monotonic() + 35
    while time.monotonic() < deadline:
        code = current_code(secret)
        if code != used:
            return code
        time.sleep(0.5)
    raise AssertionError("no fresh TOTP code within one time step")
