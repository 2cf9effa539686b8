"""Issue 13 item 13 in a real browser: self sign-up, e-mail confirmation that signs the person in on a page
that says what next, a request to join Noloc, approval by Noloc's administrator in another browser, and the
new professional's dashboard."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import maintenance
from tests import factories
from tests.browser.test_professional_journeys import sign_in
from tests.text import first_match

pytestmark = pytest.mark.django_db(transaction=True)


def test_item13_sign_up_confirm_ask_to_join_and_be_approved(new_page, mailoutbox):
    with maintenance():
        noloc = factories.organisation(slug="noloc", name="Noloc", default_language="nl", allow_join_requests=True)
        factories.organisation(slug="ccmg", name="CCMG")  # takes no join requests: not offered
        factories.member(noloc, "ada@example.com", "admin", first_name="Ada")

    page = new_page()
    page.goto("/accounts/signup/")
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Surname").fill("Nieuw")
    page.get_by_label("Email").fill("nora@example.com")
    page.locator("#id_password1").fill("a-long-and-unusual-passphrase")
    page.locator("#id_password2").fill("a-long-and-unusual-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verify Your Email Address")

    # She confirms from the mail in the same browser: signed in, on a page that says what next.
    link = first_match(r"https?://\S+/accounts/confirm-email/\S+", mailoutbox[-1].body)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your organisations")
    expect(page.get_by_role("button", name="Nora Nieuw")).to_be_visible()  # signed in
    expect(page.locator("#what-next")).to_contain_text("What next")
    expect(page.locator("main")).to_contain_text("ask your organisation's administrator for an invitation")
    expect(page.get_by_role("heading", name="CCMG")).to_have_count(0)

    # She asks to join Noloc, with a message; a second request is not offered.
    page.get_by_label("Message to the administrators (optional)").fill("Jobcoach at Werkpunt, member 4711.")
    page.get_by_role("button", name="Ask to join Noloc").click()
    expect(page.locator(".alert-success")).to_contain_text("Your request to join Noloc has been sent")
    expect(page.locator("#my-join-requests")).to_contain_text("Waiting for a decision")
    expect(page.get_by_role("button", name="Ask to join Noloc")).to_have_count(0)

    # Ada is told by e-mail in Noloc's language (she chose none), with the link to decide.
    to_ada = [mail for mail in mailoutbox if mail.to == ["ada@example.com"]]
    assert len(to_ada) == 1
    assert to_ada[0].subject == "Nora Nieuw vraagt om lid te worden van Noloc"
    assert "Jobcoach at Werkpunt, member 4711." in to_ada[0].body
    decide_link = first_match(r"https?://\S+/noloc/manage/join-requests/\d+/", to_ada[0].body)

    # Ada sees it waiting on her home page, opens it and approves.
    admin = new_page()
    sign_in(admin, "ada@example.com")
    admin.goto("/noloc/")
    expect(admin.locator("main")).to_contain_text("1 request to join waits for your decision.")
    admin.goto(decide_link)
    expect(admin.get_by_role("heading", level=1)).to_have_text("Nora Nieuw asks to join")
    expect(admin.locator("main")).to_contain_text("Jobcoach at Werkpunt, member 4711.")
    admin.get_by_role("button", name="Approve as professional").click()
    expect(admin.locator(".alert-success")).to_contain_text("Nora Nieuw is now a professional member.")

    # Nora is told, and her home is now Noloc's dashboard.
    assert any(mail.to == ["nora@example.com"] and "Noloc" in mail.subject for mail in mailoutbox)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/noloc/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("not a member of any organisation")
