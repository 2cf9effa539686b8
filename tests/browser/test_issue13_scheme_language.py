"""Issue 13 item 11 (the rest) in a real browser, in Dutch: the rules engine's validation messages are shown in
the administrator's language on the field they are about, and the list of changes names fields by their
labels, not by JSON paths."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from tests import factories
from tests.browser.test_professional_journeys import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_item11_dutch_validation_messages_and_changes_by_label(new_page):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc", default_language="nl")
        ada = factories.member(noloc, "ada@example.com", "admin", first_name="Ada", preferred_language="nl")
        factories.certification(noloc, ada, "noloc-register-jobcoach")  # adopts the scheme
    page = new_page()
    sign_in(page, "ada@example.com")  # she prefers Dutch: the pages after signing in are Dutch
    page.goto("/noloc/manage/schemes/noloc-register-jobcoach/edit/")
    page.locator("summary", has_text="Bijdrage aan beroepsgroep").click()
    page.locator("summary", has_text="Overige maatschappelijke activiteiten").click()

    # An invalid value: the engine's message, in Dutch, on the marked field.
    page.locator("#f-categories-5-max").fill("-5")
    page.locator("button[value=preview]").click()
    field = page.locator("#f-categories-5-max")
    expect(field).to_have_attribute("aria-invalid", "true")
    feedback = page.locator("#f-categories-5-max-error")
    expect(feedback).to_have_text("Mag niet negatief zijn (-5).")
    expect(page.locator("#scheme-form")).not_to_contain_text("Must not be negative")

    # A valid change: the list of changes names the category and the field, in Dutch.
    page.locator("#f-categories-5-max").fill("10")
    page.locator("summary", has_text="Bijdrage aan beroepsgroep").click()  # the form came back: only errors open
    page.locator("#f-categories-3-max").fill("25")
    page.locator("button[value=preview]").click()
    changes = page.locator("#preview-panel table")
    expect(changes).to_contain_text("Categorie “Bijdrage aan beroepsgroep” · maximum")
    expect(changes).to_contain_text("30")
    expect(changes).to_contain_text("25")
    expect(changes).not_to_contain_text("categories[")
