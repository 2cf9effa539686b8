"""Signed statements: request by e-mail, sign or decline without an account, resend, withdraw, expiry."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from dossiers.models import StatementRequest
from tests import factories
from tests.test_dossiers import _media, noloc, section_state, signed_statement, start, url  # noqa: F401
from tests.text import first_match

pytestmark = pytest.mark.django_db
A31 = {"section": "A3.1", "requirement": "reflection-meeting"}


def request_url(org, dossier, **params):
    query = "&".join(f"{key}={value}" for key, value in (params or A31).items())
    return url("statement_request", org, pk=dossier.pk) + "?" + query


def ask(client, org, dossier, mailoutbox, captured, email="fay@example.com", **params) -> tuple[StatementRequest, str]:
    """Request a statement through the page; return it and the link from the e-mail."""
    before = len(mailoutbox)
    with captured(execute=True):
        response = client.post(request_url(org, dossier, **params), {
            "signer_name": "Fay Facilitator", "signer_email": email, "signer_role": "Supervisor",
            "message": "Our session of 1 March, please."})
    assert response.status_code == 302, response.content.decode()
    assert len(mailoutbox) == before + 1
    link = first_match(r"https?://\S+/sign/\S+/", mailoutbox[-1].body)
    with maintenance():
        statement = StatementRequest.objects.filter(organisation=org, dossier=dossier).latest("pk")
    return statement, local(link)


def local(link: str) -> str:
    """The path of an absolute link from an e-mail (the test client speaks to the app directly)."""
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def fresh(statement) -> StatementRequest:
    with maintenance():
        return StatementRequest.objects.get(pk=statement.pk)


@pytest.fixture
def dossier(client, org_a, alice):
    client.force_login(alice)
    return start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))


def test_signing_end_to_end_through_the_emailed_link(client, org_a, alice, dossier, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    org_a.default_language = "nl"
    org_a.save()
    statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    mail = mailoutbox[-1]
    assert mail.to == ["fay@example.com"]
    assert "Alice Person" in mail.subject
    assert "Verklaring van een bijgewoonde reflectiebijeenkomst" in mail.body  # in the organisation's language
    assert "Our session of 1 March, please." in mail.body
    assert statement.token_hash not in mail.body
    assert len(statement.token_hash) == 64
    assert statement.expires_at.date() == (timezone.now() + dt.timedelta(days=14)).date()
    with maintenance():
        assert AuditEvent.objects.filter(organisation=org_a, action="statement.request").exists()

    signer = client.__class__()  # a second browser: no account, no session
    page = signer.get(link)
    assert page.status_code == 200
    # The page speaks the e-mail's language (issue 13 item 10) until the signer picks another.
    assert "Verklaring van een bijgewoonde reflectiebijeenkomst" in page.content.decode()
    signer.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the switcher's choice
    page = signer.get(link)
    body = page.content.decode()
    assert "Alice Person" in body
    assert "Statement of a reflection meeting attended" in body
    assert "Date of the meeting" in body
    assert "Name of the facilitator" in body
    assert "The candidate brought in a meaningful situation" in body
    assert 'type="date"' in body
    assert "Our session of 1 March, please." in body

    with django_capture_on_commit_callbacks(execute=True):
        done = signer.post(link, {"action": "sign", "field_meeting-date": "2025-03-01", "field_facilitator-name": "Fay",
                                  "field_situation-brought-in": "on", "signed_name": "Fay  Facilitator",
                                  "confirm": "on"})
    assert done.status_code == 200
    assert "Thank you" in done.content.decode()
    signed = fresh(statement)
    assert signed.status == "signed"
    assert signed.signed_name == "Fay Facilitator"
    assert signed.fields == {"meeting-date": "2025-03-01", "facilitator-name": "Fay", "situation-brought-in": True}
    assert signed.signed_at is not None
    assert signed.closed_at == signed.signed_at
    assert mailoutbox[-1].to == ["alice@example.com"]
    assert "Fay Facilitator" in mailoutbox[-1].subject
    # The link is single-use: opening it again says so politely.
    again = signer.get(link)
    assert again.status_code == 410
    assert "already been signed" in again.content.decode()
    assert signer.post(link, {"action": "sign"}).status_code == 410
    # It counts toward A3.1 now; the professional sees it signed.
    assert section_state(dossier, "A3.1").requirements[0].counts[0].have == 1
    page = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()
    assert "Signed by Fay Facilitator" in page


def test_sign_form_errors_keep_what_was_typed(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks):
    _statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    signer = client.__class__()
    response = signer.post(link, {"action": "sign", "field_facilitator-name": "Fay Typed", "signed_name": ""})
    assert response.status_code == 422
    body = response.content.decode()
    assert "Fay Typed" in body
    assert "This field is required." in body
    assert fresh(_statement).status == "requested"


def test_expired_link_says_so(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks):
    statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    with maintenance():
        StatementRequest.objects.filter(pk=statement.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = client.__class__().get(link)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A3.1")).content.decode()
    assert "Link expired" in page


def test_decline_with_a_reason(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks):
    statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    signer = client.__class__()
    missing_reason = signer.post(link, {"action": "decline", "reason": " "})
    assert missing_reason.status_code == 422
    assert "This field is required." in missing_reason.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = signer.post(link, {"action": "decline", "reason": "I was not at that meeting."})
    assert response.status_code == 200
    assert "You declined to sign" in response.content.decode()
    declined = fresh(statement)
    assert declined.status == "declined"
    assert declined.decline_reason == "I was not at that meeting."
    assert "declined" in mailoutbox[-1].subject
    assert signer.get(link).status_code == 410
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A3.1")).content.decode()
    assert "Declined" in page
    assert "I was not at that meeting." in page
    assert section_state(dossier, "A3.1").requirements[0].counts[0].have == 0


def test_resend_replaces_the_link(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks):
    statement, old_link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    with maintenance():  # expired a day ago, so also sent more than the resend interval ago
        StatementRequest.objects.filter(pk=statement.pk).update(expires_at=timezone.now() - dt.timedelta(days=1),
                                                                last_sent_at=timezone.now() - dt.timedelta(days=15))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("statement_resend", org_a, pk=statement.pk), follow=True)
    assert "previous link no longer works" in response.content.decode()
    new_link = local(first_match(r"https?://\S+/sign/\S+/", mailoutbox[-1].body))
    assert new_link != old_link
    renewed = fresh(statement)
    assert renewed.send_count == 2
    assert renewed.expires_at > timezone.now() + dt.timedelta(days=13)
    anonymous = client.__class__()
    assert anonymous.get(old_link).status_code == 404
    assert anonymous.get(new_link).status_code == 200


def test_withdraw_asks_first_and_closes_the_link(client, org_a, dossier, mailoutbox,
                                                  django_capture_on_commit_callbacks):
    statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    confirm = client.get(url("statement_withdraw", org_a, pk=statement.pk))
    assert confirm.status_code == 200
    assert "Yes, withdraw" in confirm.content.decode()
    assert fresh(statement).status == "requested"
    client.post(url("statement_withdraw", org_a, pk=statement.pk))
    assert fresh(statement).status == "withdrawn"
    response = client.__class__().get(link)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    refused = client.post(url("statement_resend", org_a, pk=statement.pk), follow=True)
    assert "request a new statement instead" in refused.content.decode()


def test_a_signed_statement_cannot_be_changed_by_the_professional(client, org_a, dossier):
    statement = signed_statement(dossier)
    page = client.get(url("statement_withdraw", org_a, pk=statement.pk)).content.decode()
    assert "cannot be withdrawn or changed" in page
    assert "Yes, withdraw" not in page
    response = client.post(url("statement_withdraw", org_a, pk=statement.pk), follow=True)
    assert "A signed statement cannot be withdrawn." in response.content.decode()
    response = client.post(url("statement_resend", org_a, pk=statement.pk), follow=True)
    assert "nothing to resend" in response.content.decode()
    after = fresh(statement)
    assert (after.status, after.fields, after.token_hash) == ("signed", statement.fields, statement.token_hash)
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A3.1")).content.decode()
    assert f'statements/{statement.pk}/withdraw/' not in page


def test_request_form_validates_and_refuses_self_signing(client, org_a, alice, dossier):
    page = client.get(request_url(org_a, dossier)).content.decode()
    assert "Facilitator (supervisor, coach or intervision facilitator)" in page  # the definition's signer hint
    response = client.post(request_url(org_a, dossier), {"signer_name": "Me", "signer_email": "ALICE@example.com"})
    assert response.status_code == 422
    assert "must be signed by someone else" in response.content.decode()
    response = client.post(request_url(org_a, dossier), {"signer_name": "Fay", "signer_email": "not-an-address"})
    assert response.status_code == 422
    assert 'value="Fay"' in response.content.decode()
    assert client.get(request_url(org_a, dossier, section="A3.2", requirement="reflection-report")).status_code == 404
    assert client.get(request_url(org_a, dossier, section="A3.1", requirement="nope")).status_code == 404


def test_another_organisations_link_is_not_found_here(client, org_a, org_b, charlie, mailoutbox,
                                                      django_capture_on_commit_callbacks):
    client.force_login(charlie)
    b_dossier = start(client, org_b, noloc(org_b, charlie))
    _statement, link = ask(client, org_b, b_dossier, mailoutbox, django_capture_on_commit_callbacks)
    token = link.rstrip("/").rsplit("/", 1)[1]
    anonymous = client.__class__()
    assert anonymous.get(reverse("statement_sign", kwargs={"org": org_b.slug, "token": token})).status_code == 200
    assert anonymous.get(reverse("statement_sign", kwargs={"org": org_a.slug, "token": token})).status_code == 404
    assert anonymous.get(reverse("statement_sign", kwargs={"org": "nowhere", "token": token})).status_code == 404


def test_signing_page_after_submission_is_closed(client, org_a, dossier, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    with maintenance():
        dossier.status = "submitted"
        dossier.save(update_fields=["status"])
    response = client.__class__().post(link, {"action": "sign", "signed_name": "Fay", "confirm": "on"})
    assert response.status_code == 410
    assert "already been submitted" in response.content.decode()
    assert fresh(statement).status == "requested"


@pytest.mark.browser
def test_signing_page_works_on_a_phone(new_page, org_a, alice, tmp_path):
    """A 390-pixel-wide screen: nothing overflows sideways, and the signer can sign with the keyboard."""
    import os
    import shutil

    from dossiers.services import statements as statement_services

    certification = noloc(org_a, alice, dt.date(2025, 12, 1))
    from dossiers.services.dossiers import dossier_start

    with maintenance():
        dossier, _created = dossier_start(certification=certification, by=alice)
        statement = statement_services.statement_request(
            dossier=dossier, section_code="A1", requirement_code="working-as-jobcoach", signer_name="Bo Boss",
            signer_email="bo@example.com", by=alice, message="Thanks!")
        token = "phone-test-token-" + "x" * 20
        from accounts.models import hash_token

        StatementRequest.objects.filter(pk=statement.pk).update(token_hash=hash_token(token))
    page = new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page.goto(reverse("statement_sign", kwargs={"org": org_a.slug, "token": token}))
    assert page.get_by_role("heading", name="Sign a statement").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "sign-390.png"), full_page=True)
    page.get_by_label("Name of the jobcoach").fill("Alice Person")
    page.locator("#id_field_organisation").fill("Acme")
    page.get_by_label("Current work, function or role").fill("Jobcoach")
    page.get_by_label("Works as a practising jobcoach at the moment of recertification").check()
    page.locator("#id_field_signed-on").fill("2025-10-01")
    page.get_by_label("Your full name, as your signature").fill("Bo Boss")
    page.get_by_label("I confirm that what I filled in above is true and complete.").check()
    page.get_by_role("button", name="Sign the statement").click()
    page.get_by_role("heading", name="Thank you").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    signed = fresh(statement)
    assert signed.status == "signed"
    assert signed.fields["practising"] is True
    assert signed.fields["signed-on"] == "2025-10-01"
    if os.environ.get("SCREENSHOT_DIR"):
        shutil.copy(tmp_path / "sign-390.png", os.environ["SCREENSHOT_DIR"])


def test_wrong_role_and_other_professional(client, org_a, alice, bob, dossier):
    statement = signed_statement(dossier)
    other = factories.member(org_a, "other@example.com", "professional")
    client.force_login(other)
    assert client.get(url("statement_withdraw", org_a, pk=statement.pk)).status_code == 404
    assert client.post(url("statement_resend", org_a, pk=statement.pk)).status_code == 404
    assert client.get(request_url(org_a, dossier)).status_code == 404
    client.force_login(bob)
    assert client.get(url("statement_withdraw", org_a, pk=statement.pk)).status_code == 403
