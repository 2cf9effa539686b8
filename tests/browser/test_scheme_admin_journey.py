"""An administrator adopts Noloc, changes the category-6 cap, previews, saves; exports and imports elsewhere."""

import json

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from schemes.models import SchemeVersion
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_adopt_edit_preview_save_export_import(new_page, tmp_path):
    with maintenance():
        acme = factories.organisation(slug="acme", name="Acme Certification")
        bravo = factories.organisation(slug="bravo", name="Bravo Body")
        factories.member(acme, "ada@example.com", "admin", first_name="Ada")
        factories.member(bravo, "ada@example.com", "admin")

    page = new_page(accept_downloads=True)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.goto("/acme/manage/schemes/")
    card = page.get_by_role("region", name="Noloc Register Jobcoach recertification")
    card.get_by_label("Takes effect on").fill("2026-01-01")
    card.get_by_role("button", name="Adopt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Noloc Register Jobcoach recertification")
    expect(page.get_by_text("Conflict in the source")).to_be_visible()

    page.get_by_role("link", name="Edit (new version)").click()
    page.get_by_text("Categories: Other societal activities").click()
    cap = page.get_by_label("Maximum", exact=True).locator("visible=true")
    expect(cap).to_have_value("10")
    cap.fill("12")
    page.get_by_label("Takes effect on").fill("2027-01-01")
    page.get_by_label("What changed and why").fill("Board decision of 1 December")
    page.get_by_role("button", name="Preview the effect").click()
    preview = page.locator("#preview-panel")
    expect(preview).to_contain_text("Category “Other societal activities” · maximum")
    expect(preview).to_contain_text("nobody's compliance changes")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.get_by_text("Version 2 has been saved")).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export JSON version 2").click()
    exported = tmp_path / "noloc-v2.json"
    download_info.value.save_as(exported)
    assert json.loads(exported.read_text())["version"] == 2

    page.goto("/bravo/manage/schemes/import/")
    page.get_by_label("Definition file (.json)").set_input_files(str(exported))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("will be added as version 1")).to_be_visible()
    page.get_by_role("button", name="Save the imported version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Noloc Register Jobcoach recertification")

    with maintenance():
        imported = SchemeVersion.objects.get(organisation=bravo, code="noloc-register-jobcoach")
        societal = next(c for c in imported.definition["categories"] if c["code"] == "societal")
        assert societal["max"] == "12"
        assert imported.source == SchemeVersion.Source.IMPORTED
