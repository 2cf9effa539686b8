"""Issue 13 items 1–6 and 17 in a real browser: the certification card tells the whole lifecycle and the next
thing to do, the gaps together, one date with its rule, caps drawn as caps, PeopleCert's chain of years; the
administrator's compliance overview shows dossier state and why someone is at risk; pages pass axe-core
(tests/browser/conftest.py runs it on every page) at 390 px too."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from dossiers.models import Dossier
from dossiers.services import dossiers as dossier_services
from tests import factories
from tests.browser.test_professional_journeys import sign_in

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"viewport": {"width": 390, "height": 844}}


def noloc_with_points(points_in_training: int, peer_meetings: int, lecture: bool = True):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice")
        factories.member(noloc, "ada@example.com", "admin", first_name="Ada")
        certification = factories.certification(noloc, alice, "noloc-register-jobcoach",
                                                recertification_date=dt.date(2027, 9, 30), number="NL-1")
        factories.activity(noloc, alice, "course", dt.date(2024, 3, 1), points_in_training)
        if peer_meetings:
            factories.activity(noloc, alice, "peer-meeting", dt.date(2024, 5, 1), peer_meetings)
        if lecture:
            factories.activity(noloc, alice, "lecture", dt.date(2025, 5, 1), 1)
    return noloc, alice, certification


def card(page):
    return page.locator(".certification-card").first


def test_item1_card_follows_the_dossier_to_the_next_thing_to_do(new_page):
    noloc, alice, certification = noloc_with_points(40, 15)  # 40 + 30 + 6 = 76 of 75: the points are enough
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto("/noloc/")
    expect(card(page).locator(".next-step")).to_contain_text("Start your dossier")
    expect(card(page)).not_to_contain_text("Nothing is missing")
    expect(card(page).locator('[data-stage="points"]')).to_contain_text("enough")
    card(page).get_by_role("link", name="Start your dossier").click()
    page.get_by_role("button", name="Start the recertification dossier").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto("/noloc/")
    expect(card(page).locator('[data-stage="dossier"]')).to_contain_text("sections still open")
    expect(card(page).locator(".next-step")).to_contain_text("Complete section A1")
    card(page).get_by_role("link", name="Continue your dossier").click()
    expect(page).to_have_url(re.compile(r"/noloc/dossiers/\d+/sections/A1/$"))

    with maintenance():  # as if submitted (the submission itself is issue 4's journey)
        Dossier.objects.filter(owner=alice).update(status=Dossier.Status.SUBMITTED, submitted_at=timezone.now())
    page.goto("/noloc/")
    expect(card(page).locator('[data-stage="submitted"]')).to_contain_text("Submitted on")
    expect(card(page).locator(".next-step")).to_contain_text("nothing to do now")


def test_item2_overall_and_category_gaps_together_shortest_first(new_page):
    noloc_with_points(22, 11, lecture=False)  # category 1: 22 of 30; overall 22 + 22 = 44 of 75
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto("/noloc/")
    expect(card(page).locator(".next-step")).to_have_text(
        "Add 8 more PE points for Further training within the field and 31 more PE points overall before "
        "30 September 2027.")


def test_item3_one_date_with_its_rule(new_page):
    noloc_with_points(22, 11)
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto("/noloc/")
    expect(card(page)).to_contain_text("Deadline 30 September 2027")
    expect(card(page).locator(".deadline-rule")).to_have_text(
        "Points dated up to and including 29 September 2027 count; recertification on 30 September 2027.")

    admin = new_page()
    sign_in(admin, "ada@example.com")
    admin.goto("/noloc/manage/compliance/")
    row = admin.locator("#compliance-table tbody tr").first
    expect(row).to_contain_text("30 September 2027")
    expect(row).not_to_contain_text("29 September 2027")


def peoplecert_professional():
    with maintenance():
        peoplecert = factories.organisation(slug="peoplecert", name="PeopleCert")
        per = factories.member(peoplecert, "per@example.com", "professional", first_name="Per")
        factories.certification(peoplecert, per, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30),
                                product_series="itil-4", membership_valid_until=dt.date(2030, 1, 1))
    return peoplecert, per


def test_item4_caps_are_drawn_unlike_minima(new_page):
    peoplecert, per = peoplecert_professional()
    with maintenance():
        factories.activity(peoplecert, per, "best-practice-at-work", dt.date(2026, 6, 1), 2)
    page = new_page()
    sign_in(page, "per@example.com")
    page.goto("/peoplecert/")
    bars = card(page).locator(".category-bars li")
    community = bars.filter(has_text="Community")
    expect(community).to_contain_text("no minimum, up to 15 count")
    expect(community.locator("progress.cap")).to_have_count(1)
    experience = bars.filter(has_text="Professional Experience")
    expect(experience).to_contain_text("2 of at least 5")
    expect(experience.locator("progress.short")).to_have_count(1)


def test_item5_peoplecert_chain_and_a_missed_past_year(new_page):
    peoplecert, per = peoplecert_professional()
    with maintenance():
        factories.activity(peoplecert, per, "best-practice-at-work", dt.date(2024, 6, 1), 5)  # year to 30 Apr 2025
        factories.activity(peoplecert, per, "reading", dt.date(2024, 7, 1), 15)
        factories.activity(peoplecert, per, "best-practice-at-work", dt.date(2025, 6, 1), 8)  # year to 30 Apr 2026
    page = new_page()
    sign_in(page, "per@example.com")
    page.goto("/peoplecert/")
    chain = card(page).locator(".chain")
    expect(chain).to_be_visible()
    expect(chain).to_contain_text("consecutive complete years")
    expect(chain).to_contain_text("The year to 30 April 2026 is short by 12 CPD points.")
    expect(card(page).locator("details").filter(has_text="Per CPD year").locator("table")).to_be_visible()


def test_item6_compliance_shows_dossier_state_and_why_at_risk(new_page):
    noloc, alice, certification = noloc_with_points(40, 15)
    with maintenance():
        cmi = factories.organisation(slug="cmi", name="CMI")
        factories.member(cmi, "ada@example.com", "admin", first_name="Ada")
        cora = factories.member(cmi, "cora@example.com", "professional", first_name="Cora")
        factories.certification(cmi, cora, "cmi-register-loopbaanprofessional", number="CMI-1")
    admin = new_page()
    sign_in(admin, "ada@example.com")
    admin.goto("/cmi/manage/compliance/")
    row = admin.locator("#compliance-table tbody tr").filter(has_text="CMI-1")
    expect(row).not_to_contain_text("Compliant")
    expect(row).to_contain_text("Dossier: Not started.")
    expect(row).to_contain_text("Start your dossier")

    with maintenance():
        dossier, _created = dossier_services.dossier_start(certification=certification, by=alice)
        Dossier.objects.filter(pk=dossier.pk).update(status=Dossier.Status.SUBMITTED, submitted_at=timezone.now())
    admin.goto("/noloc/manage/compliance/")
    row = admin.locator("#compliance-table tbody tr").filter(has_text="NL-1")
    expect(row).to_contain_text("Submitted on")
    expect(row).to_contain_text("Compliant")


def test_item17_pages_pass_axe_on_a_phone(new_page, csp_watch):
    noloc, alice, certification = noloc_with_points(22, 11)
    with maintenance():
        dossier_services.dossier_start(certification=certification, by=alice)
    page = new_page(**PHONE)
    sign_in(page, "alice@example.com")
    for path in ("/noloc/", "/noloc/activities/", "/noloc/dossiers/"):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    admin = new_page(**PHONE)
    sign_in(admin, "ada@example.com")
    for path in ("/noloc/manage/members/", "/noloc/manage/compliance/", "/noloc/manage/schemes/",
                 "/noloc/manage/schemes/noloc-register-jobcoach/edit/"):
        admin.goto(path)
        expect(admin.get_by_role("heading", level=1)).to_be_visible()
    csp_watch.check_accessibility([page, admin])
    csp_watch.assert_clean(page, admin)
