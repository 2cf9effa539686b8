"""Issue 13 items 9 and 10 in a real browser: each reflection-meeting statement shows its meeting date and
whether a situation was brought in; the signing page speaks the e-mail's language (with the switcher), is
prefilled with what the professional gave, and offers no account links."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from dossiers.services import dossiers as dossier_services
from dossiers.services import statements as statement_services
from tests import factories
from tests.browser.test_professional_journeys import sign_in, signed_meeting
from tests.text import first_match

pytestmark = pytest.mark.django_db(transaction=True)


def noloc_dossier(language: str = "en"):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc", default_language=language)
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice",
                                 last_name="Jansen")
        certification = factories.certification(noloc, alice, "noloc-register-jobcoach",
                                                recertification_date=dt.date(2027, 9, 30))
        dossier, _created = dossier_services.dossier_start(certification=certification, by=alice)
    return noloc, alice, dossier


def test_item9_each_statement_shows_its_meeting_and_situation(new_page):
    noloc, alice, dossier = noloc_dossier()
    signed_meeting(dossier, 1)
    signed_meeting(dossier, 2)
    page = new_page()
    sign_in(page, "alice@example.com")
    page.goto(f"/noloc/dossiers/{dossier.pk}/sections/A3.1/")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Date of the meeting: 15 January 2026")
    expect(rows.nth(0)).to_contain_text("The candidate brought in a meaningful situation: yes")
    expect(rows.nth(1)).to_contain_text("Date of the meeting: 15 February 2026")
    expect(rows.nth(1)).to_contain_text("The candidate brought in a meaningful situation: no")
    expect(page.locator("main")).to_contain_text(re.compile(r"Signed statements: 2 of \d"))


def test_item10_signing_page_in_the_mails_language_prefilled_without_account_links(
        new_page, mailoutbox, django_capture_on_commit_callbacks):
    noloc, alice, dossier = noloc_dossier(language="nl")
    with maintenance(), django_capture_on_commit_callbacks(execute=True):
        statement_services.statement_request(dossier=dossier, section_code="A3.1",
                                             requirement_code="reflection-meeting", signer_name="Fay Facil",
                                             signer_email="fay@example.com", by=alice)
    link = first_match(r"https?://\S+/sign/\S+/", mailoutbox[-1].body)
    signer = new_page(locale="en-GB", extra_http_headers={"Accept-Language": "en-GB,en"})
    signer.goto(link)
    expect(signer.locator("html")).to_have_attribute("lang", "nl")
    expect(signer.get_by_label("Naam van de begeleider")).to_have_value("Fay Facil")
    expect(signer.locator("#id_signed_name")).to_have_value("Fay Facil")
    expect(signer.get_by_role("link", name=re.compile("Sign up|Registreren|Aanmelden"))).to_have_count(0)
    expect(signer.get_by_role("link", name=re.compile("^(Sign in|Inloggen)$"))).to_have_count(0)
