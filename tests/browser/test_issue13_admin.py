"""Issue 13 items 14 and 15 in a real browser: the health page says what applies to the embedded default
(tasks in-process); the administrator's home shows the work waiting and links to every area; the activity
import is not offered for a scheme without activity types, and its help example is the organisation's own."""

import pytest
from playwright.sync_api import expect

from accounts.models import DeliveryFailure
from accounts.tenancy import maintenance
from portfolios.models import DeletionRequest
from tests import factories
from tests.browser.test_professional_journeys import sign_in

pytestmark = pytest.mark.django_db(transaction=True)

def test_item14_health_page_on_the_embedded_default_has_no_false_alarms(new_page, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded default: no broker, tasks in the web process
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        factories.member(noloc, "ada@example.com", "admin", first_name="Ada")
    page = new_page()
    sign_in(page, "ada@example.com")
    page.goto("/noloc/manage/health/")
    table = page.locator("table")
    expect(table).not_to_contain_text("Needs attention")
    expect(table).not_to_contain_text("Never seen")
    expect(table.locator("tr").filter(has_text="Worker")).to_contain_text("Not used here")
    expect(table.locator("tr").filter(has_text="Scheduler (beat)")).to_contain_text("daily reminders are not sent")

def test_item15_administrators_home_shows_the_work_waiting(new_page):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        factories.member(noloc, "ada@example.com", "admin", first_name="Ada")
        pat = factories.member(noloc, "pat@example.com", "professional", first_name="Pat")
        factories.certification(noloc, pat, "noloc-register-jobcoach", number="NL-1")
        factories.invitation(noloc, "new@example.com")
        DeletionRequest.objects.create(organisation=noloc, user=pat, user_email=pat.email)
        DeliveryFailure.objects.create(organisation=noloc, email="gone@example.com", reason="550 no such user")
        cmi = factories.organisation(slug="cmi", name="CMI")
        factories.member(cmi, "ada@example.com", "admin", first_name="Ada")
        cora = factories.member(cmi, "cora@example.com", "professional", first_name="Cora")
        factories.certification(cmi, cora, "cmi-register-loopbaanprofessional", number="CMI-1")
    page = new_page()
    sign_in(page, "ada@example.com")
    page.goto("/noloc/")
    waiting = page.locator(".waiting-list")
    expect(waiting.locator('[data-waiting="invitations"]')).to_contain_text("1 invitation not accepted yet.")
    expect(waiting.locator('[data-waiting="deletion-requests"]')).to_contain_text("1 request to delete personal data")
    expect(waiting.locator('[data-waiting="refused-addresses"]')).to_contain_text("1 address was refused")
    expect(waiting.locator('[data-waiting="overdue-invoices"]')).to_contain_text("No invoice is overdue.")
    areas = page.locator(".admin-areas")
    for name in ("Members and invitations", "Certifications", "Compliance overview", "Activity imports", "Schemes",
                 "Billing", "Deletion requests", "Organisation settings", "Audit trail", "Reminders",
                 "Background work"):
        expect(areas.get_by_role("link", name=name)).to_have_count(1)
    areas.get_by_role("link", name="Deletion requests").click()
    expect(page).to_have_url(f"{page.url.split('/noloc/')[0]}/noloc/manage/deletion-requests/")

    page.goto("/noloc/manage/imports/new/")
    expect(page.locator("#format-title + p + pre + ul")).to_contain_text("for example course")
    page.goto("/cmi/manage/imports/")
    expect(page.get_by_role("link", name="Import activities")).to_have_count(0)
    expect(page.get_by_text("no activity types")).to_be_visible()
    page.goto("/cmi/manage/imports/new/")
    expect(page.get_by_text("there are no activities to import")).to_be_visible()
    expect(page.locator('input[type="file"]')).to_have_count(0)
