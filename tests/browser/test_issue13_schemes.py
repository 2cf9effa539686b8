"""Issue 13 item 11 in a real browser: the scheme editor's preview marks every field in error, as saving does."""

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from tests import factories
from tests.browser.test_professional_journeys import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_item11_preview_marks_every_field_in_error(new_page):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        ada = factories.member(noloc, "ada@example.com", "admin", first_name="Ada")
        factories.certification(noloc, ada, "noloc-register-jobcoach")  # adopts the scheme
    page = new_page()
    sign_in(page, "ada@example.com")
    page.goto("/noloc/manage/schemes/noloc-register-jobcoach/edit/")
    page.get_by_text("Categories: Other societal activities").click()
    page.get_by_text("Categories: Contribution to the field").click()
    page.locator("#f-categories-5-max").fill("-5")
    page.locator("#f-categories-4-max").fill("lots")
    page.get_by_role("button", name="Preview the effect").click()
    expect(page.locator("#scheme-form .is-invalid")).to_have_count(2)
    expect(page.locator("#scheme-form [aria-invalid=true]")).to_have_count(2)
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator("#scheme-form .is-invalid")).to_have_count(2)
