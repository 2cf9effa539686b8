"""The main journeys under the Content-Security-Policy: nothing is refused, and htmx and Bootstrap still work.

The watch in tests/browser/conftest.py fails a journey on any `securitypolicyviolation` event or console
message about the policy; here the journeys also check that what the policy could break still works: the
live preview, the autosave and the filters (htmx), drop-downs and the collapsed navigation (Bootstrap), the
upload's progress and list replacement (our own script).
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from dossiers.models import DossierSection, Evidence
from schemes.services import scheme_adopt
from tests import factories
from tests.browser.test_professional_journeys import PDF, media, sign_in  # noqa: F401 - fixture
from tests.text import first_match

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_watch_notices_a_violation(new_page, csp_watch):
    """The listener really catches what the policy refuses (else the journeys below could not fail)."""
    page = new_page()
    page.goto("/accounts/login/")
    page.evaluate("""() => { const style = document.createElement('style'); style.textContent = 'body {}';
                           document.head.appendChild(style); }""")
    page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
                  " document.head.appendChild(s); }")
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("window.ran") is None  # the inline script was refused
    directives = {seen["directive"] for seen in page.evaluate("window.__cspViolations")}
    assert {"style-src-elem", "script-src-elem"} <= directives
    assert len(csp_watch.problems([page])) >= 2
    csp_watch.clear()
    page.evaluate("window.__cspViolations = []")


def test_professional_journeys_under_the_policy(new_page, csp_watch, media, mailoutbox, tmp_path):  # noqa: F811
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc", primary_colour="#7a1f4e")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice")
        other = factories.organisation(slug="other", name="Other Body")
        factories.member(other, "alice@example.com", "professional")
        factories.certification(noloc, alice, "noloc-register-jobcoach", recertification_date=dt.date(2027, 3, 1),
                                number="NL-2027")
        factories.activity(noloc, alice, "course", dt.date(2024, 5, 1), 10, title="Listening course")
        factories.activity(noloc, alice, "peer-meeting", dt.date(2025, 2, 1), 15, title="Intervision")

    page = new_page(viewport={"width": 390, "height": 844})  # a phone: the navigation is collapsed
    sign_in(page, "alice@example.com")
    csp_watch.assert_clean(page)

    # The dashboard: bars as <progress>, the per-period chart as SVG, the brand colour from its stylesheet.
    page.goto("/noloc/")
    expect(page.locator(".certification-card")).to_contain_text("counted")
    expect(page.locator(".certification-card progress.bar").first).to_be_attached()
    brand = page.evaluate("getComputedStyle(document.querySelector('.brand-bar')).backgroundColor")
    assert brand == "rgb(122, 31, 78)"
    # Bootstrap: the collapsed navigation opens, and a drop-down in it opens.
    menu = page.get_by_role("button", name="Toggle navigation")
    menu.click()
    expect(page.locator("#nav-main")).to_be_visible()
    page.get_by_role("button", name="Switch organisation").click()
    expect(page.get_by_role("link", name="Other Body")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    csp_watch.assert_clean(page)

    # An activity with the live preview (htmx), then its evidence (our upload script, <progress>).
    page.goto("/noloc/activities/new/")
    expect(page.locator("#activity-preview")).to_contain_text("Choose an activity type")
    page.get_by_label("Activity type").select_option("course")
    page.get_by_label("Title").fill("Solution-focused coaching")
    page.get_by_label("Date").fill("2026-03-10")
    page.get_by_label("Study-load hours (SBU)").fill("25")
    expect(page.locator("#activity-preview")).to_contain_text("25 points")
    page.get_by_label("Study-load hours (SBU)").fill("30")
    expect(page.locator("#activity-preview")).to_contain_text("30 points")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_text("You can now upload its evidence")).to_be_visible()
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF)
    expect(page.locator("form[data-evidence-ready]")).to_have_count(1)  # static/js/evidence-upload.js ran
    page.locator('input[type="file"]').set_input_files(str(certificate))
    expect(page.locator(".evidence-list")).to_contain_text("certificate.pdf")
    expect(page.locator(".evidence-status")).to_contain_text("has been uploaded")
    with maintenance():
        assert Evidence.objects.filter(organisation=noloc, original_name="certificate.pdf").count() == 1
    csp_watch.assert_clean(page)

    # The activity list's filters (htmx, with a trigger naming input[type=date]).
    page.goto("/noloc/activities/")
    page.get_by_label("Search title, provider or description").fill("Intervision")
    expect(page.locator("#activity-table")).to_contain_text("Intervision")
    expect(page.locator("#activity-table")).not_to_contain_text("Solution-focused coaching")
    expect(page).to_have_url(re.compile(r"q=Intervision"))
    page.get_by_label("Sort").select_option("type")  # a select inside the filter form triggers too
    expect(page).to_have_url(re.compile(r"sort=type"))
    expect(page.locator("#activity-table")).to_contain_text("Intervision")
    csp_watch.assert_clean(page)

    # A dossier: a section's answers autosave as one types (htmx).
    page.goto("/noloc/dossiers/")
    page.get_by_role("button", name="Start the recertification dossier").click()
    expect(page).to_have_url(re.compile(r"/noloc/dossiers/\d+/$"))
    dossier_url = page.url
    page.goto(dossier_url + "sections/A3.2/")
    page.locator("main textarea").first.fill("A client stuck between two jobs.")
    expect(page.locator("#autosave-status")).to_contain_text("Saved at")
    with maintenance():
        saved = DossierSection.objects.get(organisation=noloc, code="A3.2")
        assert "A client stuck between two jobs." in str(saved.data)
    csp_watch.assert_clean(page)

    # A statement request, and the signer's public page in another browser.
    page.goto(dossier_url + "sections/A3.1/")
    page.get_by_role("link", name="Ask someone to sign").first.click()
    page.get_by_label("Signer's name").fill("Fred Facilitator")
    page.get_by_label("Signer's e-mail address").fill("fred@example.com")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_text("fred@example.com")).to_be_visible()
    link = first_match(r"https?://\S+/noloc/sign/\S+/", mailoutbox[-1].body)
    signer = new_page()
    signer.goto(link)
    expect(signer.get_by_role("heading", name="Sign a statement")).to_be_visible()
    csp_watch.assert_clean(page, signer)

    # The language switch.
    page.get_by_label("Language").select_option("nl")
    page.get_by_role("button", name="Change").click()
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()
    page.get_by_label("Taal").select_option("en")
    page.get_by_role("button", name="Wijzig").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    csp_watch.assert_clean(page, signer)


def test_administrator_journeys_under_the_policy(new_page, csp_watch):
    with maintenance():
        acme = factories.organisation(slug="acme", name="Acme Certification")
        ada = factories.member(acme, "ada@example.com", "admin", first_name="Ada")
        factories.member(acme, "alice@example.com", "professional", first_name="Alice")
        scheme_adopt(organisation=acme, code="ccmg-cpd", by=ada, effective_from=dt.date(2020, 1, 1))
        factories.member(acme, "bob@example.com", "assessor", first_name="Bob")
    page = new_page()
    sign_in(page, "ada@example.com")

    # Member administration: the htmx filter, the roles page, an invitation.
    page.goto("/acme/")
    page.get_by_role("button", name="Manage").click()  # Bootstrap's drop-down
    page.get_by_role("link", name="Members", exact=True).click()
    expect(page.locator("#member-table")).to_contain_text("3 members")
    page.get_by_label("Search by name or e-mail").fill("bob")
    expect(page.locator("#member-table")).to_contain_text("1 member")
    expect(page.locator("#member-table")).to_contain_text("bob@example.com")
    page.get_by_label("Role").select_option("professional")
    expect(page.locator("#member-table")).to_contain_text("0 members")
    page.goto("/acme/manage/members/")
    page.get_by_role("link", name="Roles alice@example.com").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/acme/manage/invitations/new/")
    page.get_by_label("E-mail address").fill("new@example.com")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator("main")).to_contain_text("new@example.com")
    csp_watch.assert_clean(page)

    # Schemes: adopt, the form editor and its htmx preview, the JSON editor.
    page.goto("/acme/manage/schemes/")
    card = page.get_by_role("region", name="Noloc Register Jobcoach recertification")
    card.get_by_label("Takes effect on").fill("2026-01-01")
    card.get_by_role("button", name="Adopt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Noloc Register Jobcoach recertification")
    page.get_by_role("link", name="Edit (new version)").click()
    page.get_by_text("Categories: Other societal activities").click()  # a <details> group opens
    cap = page.get_by_label("Maximum", exact=True).locator("visible=true")
    cap.fill("12")
    page.get_by_label("Takes effect on").fill("2027-01-01")
    page.get_by_role("button", name="Preview the effect").click()
    preview = page.locator("#preview-panel")
    expect(preview).to_contain_text("Category “Other societal activities” · maximum")
    expect(page).to_have_url(re.compile(r"/edit/$"))  # htmx swapped the preview in; no navigation
    page.goto("/acme/manage/schemes/noloc-register-jobcoach/edit/json/")
    expect(page.locator("#id_definition")).to_have_value(re.compile('"code": "noloc-register-jobcoach"'))

    # The reminder log's filters: a select and a date field inside the form trigger htmx.
    page.goto("/acme/manage/reminders/")
    page.get_by_label("Status").select_option(index=1)
    expect(page).to_have_url(re.compile(r"status=\w+"))
    page.get_by_label("Due from").fill("2026-01-01")
    expect(page).to_have_url(re.compile(r"due_from=2026-01-01"))

    # The other administration pages.
    for path in ("/acme/manage/certifications/", "/acme/manage/compliance/", "/acme/manage/audit/",
                 "/acme/manage/health/", "/acme/manage/settings/", "/acme/manage/imports/"):
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
    page.goto("/acme/manage/certifications/new/")
    page.get_by_label("Scheme", exact=True).select_option("noloc-register-jobcoach")
    expect(page.get_by_label("Certificate number")).to_be_visible()  # the scheme's fields came in by htmx
    csp_watch.assert_clean(page)


def test_platform_admin_under_the_policy(new_page, csp_watch):
    """Django's own admin (for platform superusers) works under the same policy."""
    with maintenance():
        factories.user("root@example.com", is_staff=True, is_superuser=True)
        factories.organisation(slug="acme", name="Acme Certification")
    page = new_page()
    sign_in(page, "root@example.com")
    page.goto("/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto("/admin/accounts/organisation/")
    expect(page.locator("#result_list")).to_contain_text("Acme Certification")
    page.goto("/admin/accounts/organisation/add/")
    expect(page.locator("#organisation_form")).to_be_visible()
    csp_watch.assert_clean(page)
