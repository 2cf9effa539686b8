"""Issue 13 items 7, 12 and 16 in a real browser: the activity form's preview stays in view while typing and
points at problems where they are; allauth's mails name the product and its messages follow the person's
language, with our catalogue's corrections; the activity list and members tables fit a 390 px phone."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from tests import factories
from tests.browser.test_professional_journeys import sign_in
from tests.text import first_match

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}}


def noloc_professional(**user_fields):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice", **user_fields)
        factories.member(noloc, "ada@example.com", "admin", first_name="Ada")
        factories.certification(noloc, alice, "noloc-register-jobcoach", recertification_date=dt.date(2027, 9, 30))
    return noloc, alice


def in_view(page, selector: str) -> bool:
    return page.evaluate("""(selector) => {
        const box = document.querySelector(selector).getBoundingClientRect();
        return box.top < window.innerHeight && box.bottom > 0;
    }""", selector)


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, PHONE["viewport"]], ids=["desktop", "phone"])
def test_item7_live_preview_stays_in_view_while_typing(new_page, viewport):
    noloc_professional()
    page = new_page(viewport=viewport)
    sign_in(page, "alice@example.com")
    page.goto("/noloc/activities/new/")
    page.get_by_label("Activity type").select_option("article")
    page.get_by_label("Title").fill("Coaching at work")
    page.get_by_label("Date").fill("2026-03-10")
    quantity = page.locator("#id_quantity")
    expect(quantity).to_be_visible()
    quantity.scroll_into_view_if_needed()
    quantity.fill("1")
    expect(page.locator("#activity-preview")).to_contain_text("Does not count")
    assert in_view(page, "#activity-preview"), "the preview is out of sight while the quantity is typed"
    expect(page.locator("#activity-preview")).not_to_contain_text("below")


def test_item12_allauth_mails_and_messages_in_our_words(new_page, mailoutbox):
    page = new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Surname").fill("Nieuw")
    page.get_by_label("Email").fill("nora@example.com")
    page.locator("#id_password1").fill("a-long-and-unusual-passphrase")
    page.locator("#id_password2").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")
    assert len(mailoutbox) == 1
    assert "Hello from Recert!" in mailoutbox[0].body
    assert "Thank you for using Recert!" in mailoutbox[0].body
    link = first_match(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[0].body)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()

    # Nora prefers Dutch; she signs in from a page in English: the message after it is Dutch.
    with maintenance():
        from accounts.models import User
        User.objects.filter(email="nora@example.com").update(preferred_language="nl")
    fresh = new_page()
    fresh.goto("/accounts/login/")
    fresh.get_by_label("Email").fill("nora@example.com")
    fresh.get_by_label("Password").fill("a-long-and-unusual-passphrase")
    fresh.get_by_role("button", name="Sign In").click()
    expect(fresh.get_by_role("alert").or_(fresh.locator(".alert")).first).to_contain_text("Je bent nu ingelogd als")
    fresh.goto("/profile/")
    expect(fresh.get_by_label("Voorkeurstaal").locator("option").first).to_have_text("- Kies een optie -")


def test_item12_dutch_confirmation_message_is_spelt_right(new_page, mailoutbox):
    page = new_page(locale="nl-NL", extra_http_headers={"Accept-Language": "nl"})
    page.goto("/accounts/signup/")
    page.locator("#id_first_name").fill("Nora")
    page.locator("#id_last_name").fill("Nieuw")
    page.locator("#id_email").fill("nora@example.com")
    page.locator("#id_password1").fill("a-long-and-unusual-passphrase")
    page.locator("#id_password2").fill("a-long-and-unusual-passphrase")
    page.locator("form button[type=submit]").last.click()
    expect(page.locator("body")).to_contain_text("Bevestigingsmail verzonden naar nora@example.com.")
    expect(page.locator("body")).not_to_contain_text("Bevestigings e-mail")


def test_item16_activity_list_and_members_fit_a_phone(new_page):
    noloc, alice = noloc_professional()
    with maintenance():
        for number in range(3):
            factories.activity(noloc, alice, "course", dt.date(2025, 3, 1 + number), 10,
                               title=f"A rather long course title about solution-focused coaching {number}")
    page = new_page(**PHONE)
    sign_in(page, "alice@example.com")
    page.goto("/noloc/activities/")
    row = page.locator(".activity-table tbody tr").first
    for part in ("Points", "Evidence"):
        assert within_width(row.locator(f'td[data-label="{part}"]')), part
    assert within_width(row.get_by_role("link", name=re.compile("^Edit")))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    admin = new_page(**PHONE)
    sign_in(admin, "ada@example.com")
    admin.goto("/noloc/manage/members/")
    member = admin.locator("#member-table tbody tr").first
    assert within_width(member.get_by_role("link", name=re.compile("^Remove")))
    assert within_width(member.locator('td[data-label="Roles"]'))


def within_width(locator, width: int = 390) -> bool:
    """On the screen sideways: not pushed off to the right (nor clipped by a scrolling table)."""
    # Scroll the window down to it only: a table scrolling sideways keeps its own position (as a reader sees it).
    locator.evaluate("e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 100)")
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
