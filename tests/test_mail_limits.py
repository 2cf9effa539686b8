"""The platform is not a mail relay: mail to an address someone typed (statement requests and new links,
invitations and resends) is limited per item, per sender and per organisation, counted in the database under
a lock; the pages say so before a limit is hit; refusals are explained, keep what was typed, and are audited;
the professional's words go out as quoted plain text naming who asked."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.test import Client
from django.utils import timezone, translation

from accounts.mail_limits import moment
from accounts.models import AuditEvent, Invitation, MailSend
from accounts.tenancy import maintenance, tenant_context
from dossiers.models import StatementRequest
from dossiers.services import statements as statement_services
from dossiers.services.dossiers import dossier_start
from tests import factories
from tests.test_dossiers import _media, noloc, start, url  # noqa: F401
from tests.test_statements import ask, fresh, request_url
from tests.text import first_match

pytestmark = pytest.mark.django_db

A31 = {"section_code": "A3.1", "requirement_code": "reflection-meeting"}


def sent_at(statement: StatementRequest) -> dt.datetime:
    """When the statement request was last sent (it has been, in these tests)."""
    last = fresh(statement).last_sent_at
    assert last is not None
    return last


@pytest.fixture
def dossier(client, org_a, alice):
    client.force_login(alice)
    return start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))


def travel(org, minutes: int) -> None:
    """As if `minutes` had passed: every recorded send of the organisation moves back in time."""
    delta = dt.timedelta(minutes=minutes)
    with maintenance():
        MailSend.objects.filter(organisation=org).update(sent_at=F("sent_at") - delta)
        for model in (StatementRequest, Invitation):
            model.objects.filter(organisation=org, last_sent_at__isnull=False).update(
                last_sent_at=F("last_sent_at") - delta)


def refusals(org, action="statement.send_refused") -> list[AuditEvent]:
    with maintenance():
        return list(AuditEvent.objects.filter(organisation=org, action=action).order_by("pk"))


def resend_button(page: str, pk: int, name: str = "statement_resend") -> str:
    """The resend button's opening tag for one item."""
    form = page.split(f"/{'statements' if name == 'statement_resend' else 'invitations'}/{pk}/resend/", 1)[1]
    return first_match(r"<button[^>]*>", form)


# --- Statements -------------------------------------------------------------------------------------------

def test_five_resends_in_a_row_send_only_what_the_limits_allow(client, org_a, dossier, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    statement, _link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    resend = url("statement_resend", org_a, pk=statement.pk)
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(resend, follow=True).content.decode()
        again_at = moment(sent_at(statement) + dt.timedelta(minutes=60))
        assert (f"You can send this request again from {again_at} (at most one send every 60 minutes)."
                in page)
    assert len(mailoutbox) == 1  # none of the five went out
    assert fresh(statement).send_count == 1
    refused = refusals(org_a)
    assert len(refused) == 5
    assert {event.data["limit"] for event in refused} == {"resend_interval"}
    assert str(refused[0]) == "Did not send the statement request to fay@example.com: sent again too soon"

    # An hour apart, four more sends go out (five in all); the sixth is refused for good.
    for sends in (2, 3, 4, 5):
        travel(org_a, 61)
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(resend, follow=True).content.decode()
        assert "A new link has been sent to fay@example.com" in page
        assert fresh(statement).send_count == sends
    assert len(mailoutbox) == 5
    assert [mail.to for mail in mailoutbox] == [["fay@example.com"]] * 5
    travel(org_a, 61)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(resend, follow=True).content.decode()
    assert "This request has been sent 5 times, the most allowed for one request." in page
    assert len(mailoutbox) == 5
    assert refusals(org_a)[-1].data["limit"] == "sends_per_item"
    assert refusals(org_a)[-1].data["attempt"] == "resend"


def test_the_pages_show_what_can_still_be_sent(client, org_a, dossier, mailoutbox,
                                               django_capture_on_commit_callbacks):
    statement, _link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    section = url("dossier_section", org_a, pk=dossier.pk, code="A3.1")
    page = client.get(section).content.decode()
    again_at = moment(sent_at(statement) + dt.timedelta(minutes=60))
    assert (f"You can send this request again from {again_at} (at most one send every 60 minutes). "
            "4 of 5 sends left.") in page
    button = resend_button(page, statement.pk)
    assert "disabled" in button
    assert f'aria-describedby="send-limit-{statement.pk}"' in button
    assert f'id="send-limit-{statement.pk}"' in page
    # The checklist shows the same.
    assert "4 of 5 sends left." in client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()

    travel(org_a, 61)
    page = client.get(section).content.decode()
    assert "4 of 5 sends left." in page
    assert "You can send this request again" not in page
    assert "disabled" not in resend_button(page, statement.pk)

    with maintenance():
        StatementRequest.objects.filter(pk=statement.pk).update(send_count=5)
    page = client.get(section).content.decode()
    assert "This request has been sent 5 times" in page
    assert "0 of 5 sends left." in page
    assert "disabled" in resend_button(page, statement.pk)

    request_page = client.get(request_url(org_a, dossier)).content.decode()
    assert "You can send 19 more statement e-mails in the next 24 hours" in request_page


def test_daily_limit_on_statement_requests_per_professional(client, org_a, alice, dossier, mailoutbox, settings,
                                                            django_capture_on_commit_callbacks):
    assert settings.STATEMENT_SENDS_PER_PROFESSIONAL_PER_DAY == 20  # the documented default
    with maintenance(), django_capture_on_commit_callbacks(execute=True):
        for i in range(19):
            statement_services.statement_request(dossier=dossier, signer_name=f"Signer {i}",
                                                 signer_email=f"signer{i}@example.com", by=alice, **A31)
    page = client.get(request_url(org_a, dossier)).content.decode()
    assert "You can send 1 more statement e-mail in the next 24 hours" in page
    ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)  # the 20th
    assert len(mailoutbox) == 20

    page = client.get(request_url(org_a, dossier)).content.decode()
    assert "You have sent 20 statement e-mails in the last 24 hours" in page
    assert re.search(r'<button type="submit"[^>]*disabled[^>]*>Send the request', page)
    # Each request says the same: the daily limit outlasts the hour between two sends of the last one.
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A3.1")).content.decode()
    assert page.count("You have sent 20 statement e-mails in the last 24 hours") == 21  # 20 rows and the link
    assert "You can send this request again" not in page

    typed = {"signer_name": "Gus Typed", "signer_email": "gus@example.com", "signer_role": "Coach",
             "message": "Please confirm our session."}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_url(org_a, dossier), typed)
    assert response.status_code == 429
    body = response.content.decode()
    first = min(MailSend.objects.filter(organisation=org_a).values_list("sent_at", flat=True))
    assert (f"You have sent 20 statement e-mails in the last 24 hours (new requests and new links together), "
            f"the most allowed. You can send the next one from {moment(first + dt.timedelta(hours=24))}.") in body
    assert 'value="Gus Typed"' in body
    assert 'value="gus@example.com"' in body
    assert "Please confirm our session." in body
    assert len(mailoutbox) == 20
    with maintenance():
        assert StatementRequest.objects.filter(organisation=org_a).count() == 20  # nothing half-made
    refused = refusals(org_a)[-1]
    assert (refused.data["limit"], refused.data["attempt"], refused.data["email"]) == (
        "sender_per_day", "request", "gus@example.com")
    assert refused.actor == alice

    travel(org_a, 24 * 60 + 1)  # a day later there is room again
    ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks, email="gus@example.com")
    assert len(mailoutbox) == 21


def test_the_organisation_backstop_counts_every_professional(client, org_a, org_b, alice, charlie, dossier,
                                                             mailoutbox, settings,
                                                             django_capture_on_commit_callbacks):
    settings.STATEMENT_SENDS_PER_ORGANISATION_PER_DAY = 2
    other = factories.member(org_a, "olga@example.com", "professional", first_name="Olga")
    with maintenance(), django_capture_on_commit_callbacks(execute=True):
        other_dossier, _created = dossier_start(certification=noloc(org_a, other), by=other)
        statement_services.statement_request(dossier=other_dossier, signer_name="Sam", signer_email="sam@example.com",
                                             by=other, **A31)
    ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    response = client.post(request_url(org_a, dossier), {"signer_name": "Gus", "signer_email": "gus@example.com"})
    assert response.status_code == 429
    assert ("Acme Certification has sent 2 statement e-mails in the last 24 hours, the most allowed for the "
            "organisation.") in response.content.decode()
    assert refusals(org_a)[-1].data["limit"] == "organisation_per_day"
    assert len(mailoutbox) == 2
    # Another organisation's count is its own.
    client.force_login(charlie)
    b_dossier = start(client, org_b, noloc(org_b, charlie))
    ask(client, org_b, b_dossier, mailoutbox, django_capture_on_commit_callbacks)


def test_a_refusal_is_said_in_the_professionals_language(client, org_a, alice, dossier, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    statement, _link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    alice.preferred_language = "nl"
    alice.save(update_fields=["preferred_language"])
    page = client.post(url("statement_resend", org_a, pk=statement.pk), follow=True).content.decode()
    assert "Je kunt dit verzoek opnieuw versturen vanaf" in page
    assert "4 van 5 verzendingen over." in page
    with translation.override("nb"):
        assert str(refusals(org_a)[-1]) == ("Sendte ikke forespørselen om erklæring til fay@example.com: "
                                            "sendt på nytt for tidlig")


def test_the_request_mail_is_plain_text_bounded_and_says_who_asked(client, org_a, dossier, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    words = ("<b>Urgent</b> <a href='https://evil.example/'>verify your account</a>\r\n\r\n\r\n\r\n"
             "Second\u202e line\x1b[31m")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(request_url(org_a, dossier), {
            "signer_name": "Fay\u200b Facilitator", "signer_email": "fay@example.com", "message": words})
    assert response.status_code == 302
    mail = mailoutbox[-1]
    assert mail.alternatives == []  # no HTML part: the words stay text
    assert mail.content_subtype == "plain"
    assert mail.subject == "Alice Person asks you to sign a statement for Acme Certification"
    assert mail.extra_headers["Reply-To"] == "alice@example.com"
    body = mail.body
    assert body.startswith("Dear Fay Facilitator,")
    assert "Alice Person (alice@example.com) is preparing a dossier for Acme Certification" in body
    assert "A message from Alice Person (their own words, not those of Acme Certification):" in body
    assert ("> <b>Urgent</b> <a href='https://evil.example/'>verify your account</a>\n>\n> Second line[31m"
            in body)
    assert "\u202e" not in body
    assert "\x1b" not in body
    assert "\u200b" not in body
    assert ("This e-mail was sent on behalf of Alice Person (alice@example.com), who typed in your address, by the "
            "recertification service of Acme Certification.") in body
    # The signing page shows the words escaped.
    link = "/" + first_match(r"https?://\S+/sign/\S+/", body).split("://", 1)[1].split("/", 1)[1]
    page = Client().get(link).content.decode()
    assert "&lt;b&gt;Urgent&lt;/b&gt;" in page
    assert "<b>Urgent</b>" not in page

    # Length-bounded (STATEMENT_MESSAGE_MAX_CHARS, default 1000), in the form and in the service.
    too_long = "x" * 1001
    response = client.post(request_url(org_a, dossier), {"signer_name": "Gus", "signer_email": "gus@example.com",
                                                         "message": too_long})
    assert response.status_code == 422
    assert "Ensure this value has at most 1000 characters (it has 1001)." in response.content.decode()
    assert 'maxlength="1000"' in response.content.decode()
    assert too_long in response.content.decode()
    with maintenance(), pytest.raises(ValidationError, match="at most 1000 characters"):
        statement_services.statement_request(dossier=dossier, signer_name="Gus", signer_email="gus@example.com",
                                             by=dossier.owner, message=too_long, **A31)
    assert len(mailoutbox) == 1


def test_what_the_signer_does_mails_the_professional_once(client, org_a, dossier, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    _statement, link = ask(client, org_a, dossier, mailoutbox, django_capture_on_commit_callbacks)
    signer = Client()
    with django_capture_on_commit_callbacks(execute=True):
        too_long = signer.post(link, {"action": "decline", "reason": "x" * 2001})
    assert too_long.status_code == 422
    assert len(mailoutbox) == 1
    for attempt in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            response = signer.post(link, {"action": "decline", "reason": "Not me."})
        assert response.status_code == (200 if attempt == 0 else 410)
        with django_capture_on_commit_callbacks(execute=True):
            signed = signer.post(link, {"action": "sign", "signed_name": "Fay", "confirm": "on"})
        assert signed.status_code == 410
    assert [mail.to for mail in mailoutbox] == [["fay@example.com"], ["alice@example.com"]]


# --- Invitations ------------------------------------------------------------------------------------------

def test_invitation_resends_are_limited(client, org_a, ada, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("invitation_create", org_a), {"email": "new@example.com", "role": "assessor"})
    invitation = Invitation.objects.get(organisation=org_a, email="new@example.com")
    resend = url("invitation_resend", org_a, pk=invitation.pk)
    page = client.get(url("members", org_a)).content.decode()
    again_at = moment(Invitation.objects.get(pk=invitation.pk).last_sent_at + dt.timedelta(minutes=60))
    assert (f"You can send this invitation again from {again_at} (at most one send every 60 minutes). "
            "4 of 5 sends left.") in page
    assert "disabled" in resend_button(page, invitation.pk, "invitation_resend")
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(resend, follow=True).content.decode()
        assert f"You can send this invitation again from {again_at}" in page
    assert len(mailoutbox) == 1
    refused = refusals(org_a, "invitation.send_refused")
    assert len(refused) == 5
    assert str(refused[0]) == "Did not send the invitation to new@example.com: sent again too soon"

    for sends in (2, 3, 4, 5):
        travel(org_a, 61)
        with django_capture_on_commit_callbacks(execute=True):
            page = client.post(resend, follow=True).content.decode()
        assert "The invitation to new@example.com has been sent again." in page
        assert Invitation.objects.get(pk=invitation.pk).send_count == sends
    travel(org_a, 61)
    page = client.get(url("members", org_a)).content.decode()
    assert "This invitation has been sent 5 times, the most allowed for one invitation." in page
    assert "disabled" in resend_button(page, invitation.pk, "invitation_resend")
    page = client.post(resend, follow=True).content.decode()
    assert "This invitation has been sent 5 times" in page
    assert len(mailoutbox) == 5
    assert refusals(org_a, "invitation.send_refused")[-1].data["limit"] == "sends_per_item"


def test_daily_invitation_limit_per_organisation(client, org_a, ada, mailoutbox, settings,
                                                 django_capture_on_commit_callbacks):
    settings.INVITATION_SENDS_PER_ORGANISATION_PER_DAY = 2
    client.force_login(ada)
    form = client.get(url("invitation_create", org_a)).content.decode()
    assert "Acme Certification can send 2 more invitations in the next 24 hours" in form
    for name in ("one", "two"):
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(url("invitation_create", org_a),
                               {"email": f"{name}@example.com", "role": "assessor"}).status_code == 302
    form = client.get(url("invitation_create", org_a)).content.decode()
    assert "Acme Certification has sent 2 invitations in the last 24 hours, the most allowed." in form
    assert re.search(r'<button type="submit"[^>]*disabled[^>]*>Send invitation', form)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invitation_create", org_a), {"email": "three@example.com", "role": "assessor"})
    assert response.status_code == 429
    body = response.content.decode()
    assert "Acme Certification has sent 2 invitations in the last 24 hours" in body
    assert 'value="three@example.com"' in body
    assert len(mailoutbox) == 2
    assert not Invitation.objects.filter(organisation=org_a, email="three@example.com").exists()
    refused = refusals(org_a, "invitation.send_refused")[-1]
    assert (refused.data["limit"], refused.data["attempt"]) == ("organisation_per_day", "create")
    audit_page = client.get(url("audit_log", org_a)).content.decode()
    assert ("Did not send the invitation to three@example.com: the organisation&#x27;s limit for 24 hours was "
            "reached") in audit_page


# --- Concurrency on PostgreSQL: two connections, one place ------------------------------------------------

def _in_thread(work, results: list, started: threading.Event | None = None, hold: float = 0.0) -> threading.Thread:
    """Run `work()` in its own thread and database connection, as a request would (one transaction)."""

    def run() -> None:
        try:
            with tenant_context(work.organisation, user_id=work.user.pk):
                work()
                results.append("sent")
                if started is not None:
                    started.set()
                    time.sleep(hold)  # keep the transaction, and whatever it locked, open a moment
        except ValidationError as error:
            results.append(error.messages[0])
        finally:
            if started is not None:
                started.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _race(first, second) -> list[str]:
    """`first` sends and holds its transaction open; `second` tries meanwhile. Both outcomes, in order."""
    results: list[str] = []
    started = threading.Event()
    one = _in_thread(first, results, started, hold=0.5)
    started.wait(10)
    two = _in_thread(second, results)
    one.join(20)
    two.join(20)
    return results


class Work:
    def __init__(self, organisation, user, call) -> None:
        self.organisation, self.user, self.call = organisation, user, call

    def __call__(self) -> None:
        self.call()


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks across connections")
def test_two_concurrent_resends_send_once(transactional_db, org_a, alice, mailoutbox):
    with maintenance():
        dossier, _created = dossier_start(certification=noloc(org_a, alice), by=alice)
        statement = statement_services.statement_request(dossier=dossier, signer_name="Fay",
                                                         signer_email="fay@example.com", by=alice, **A31)
    travel(org_a, 61)
    sent_before = len(mailoutbox)

    def resend() -> None:
        loaded = (StatementRequest.objects.for_organisation(org_a).select_related("dossier__owner", "organisation")
                  .get(pk=statement.pk))
        statement_services.statement_resend(statement=loaded, by=alice)

    results = _race(Work(org_a, alice, resend), Work(org_a, alice, resend))
    assert results[0] == "sent"
    assert results[1].startswith("You can send this request again from")
    assert len(mailoutbox) - sent_before == 1
    with maintenance():
        assert StatementRequest.objects.get(pk=statement.pk).send_count == 2
        assert MailSend.objects.filter(organisation=org_a, object_id=statement.pk).count() == 2


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row locks across connections")
def test_two_professionals_cannot_both_take_the_organisations_last_place(transactional_db, org_a, alice,
                                                                         mailoutbox, settings):
    """Different dossiers, so nothing but the organisation's lock puts the two requests in a row."""
    settings.STATEMENT_SENDS_PER_ORGANISATION_PER_DAY = 1
    olga = factories.member(org_a, "olga@example.com", "professional", first_name="Olga")
    with maintenance():
        dossiers = {person: dossier_start(certification=noloc(org_a, person), by=person)[0] for person in (alice, olga)}

    def asker(person):
        return Work(org_a, person, lambda: statement_services.statement_request(
            dossier=dossiers[person], signer_name="Sam", signer_email="sam@example.com", by=person, **A31))

    results = _race(asker(alice), asker(olga))
    assert results[0] == "sent"
    assert results[1].startswith("Acme Certification has sent 1 statement e-mail in the last 24 hours")
    assert len(mailoutbox) == 1
    with maintenance():
        assert StatementRequest.objects.filter(organisation=org_a).count() == 1


def test_mail_sends_are_append_only(org_a, alice):
    send = MailSend.objects.create(organisation=org_a, kind="statement", sender=alice, object_id=1,
                                   sent_at=timezone.now())
    with pytest.raises(ValidationError):
        send.save()


def test_account_mail_to_one_address_is_capped_per_day(client, settings, alice, mailoutbox,
                                                       django_capture_on_commit_callbacks):
    """allauth's mail (reset, verification, added addresses) keeps its per-minute limits and gains a daily cap."""
    from allauth.account import app_settings
    from django.urls import reverse

    limits = app_settings.RATE_LIMITS
    assert limits["reset_password"].endswith("/m/key,10/d/key")  # the per-minute limits stay
    assert limits["confirm_email"].endswith(",10/d/key")
    assert limits["manage_email"].endswith("/m/user,30/d/user")
    # Only the daily part, so the test need not wait out the per-minute one.
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "10/d/key"}
    statuses = []
    for _ in range(12):
        with django_capture_on_commit_callbacks(execute=True):
            statuses.append(client.post(reverse("account_reset_password"), {"email": alice.email}).status_code)
    assert statuses == [302] * 10 + [429] * 2
    assert len(mailoutbox) == 10
