"""Reminders end to end: claimed once under concurrent scans (threads, and a real Celery worker on Redis),
sent once per claim, in the recipient's language with the organisation's branding, one-click unsubscribe,
the administrators' log and refused addresses, and query counts that do not grow with certifications."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import time

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, DeliveryFailure, OutboxMessage
from accounts.tenancy import maintenance
from notifications import reminders
from notifications.models import Heartbeat, Reminder, ReminderOptOut
from tests import factories
from tests.test_background import real_broker, wait_for, worker  # noqa: F401 - fixtures
from tests.text import first_match

D = dt.date
RECERTIFICATION = D(2027, 6, 1)
THREE_MONTHS_BEFORE = D(2027, 3, 1)  # Noloc's "submit your portfolio", second of three


def noloc(org, holder, **fields):
    return factories.certification(org, holder, recertification_date=RECERTIFICATION, **fields)


def cmi(org, holder, **fields):
    return factories.certification(org, holder, "cmi-register-loopbaanprofessional",
                                   recertification_date=RECERTIFICATION, **fields)


def scan(capture, today: dt.date = THREE_MONTHS_BEFORE) -> reminders.ScanResult:
    """A scan whose after-commit work (publishing the sends, which run in-process) is carried out."""
    with capture(execute=True):
        return reminders.reminder_scan(today=today)


def rows(org=None) -> list[Reminder]:
    with maintenance():
        found = Reminder.objects.all() if org is None else Reminder.objects.filter(organisation=org)
        return list(found.select_related("certification").order_by("id"))


def local(link: str) -> str:
    """The path of an absolute link from an e-mail."""
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def unsubscribe_link(message) -> str:
    return local(first_match(r"https?://\S+/reminders/unsubscribe/\S+/", message.body))


def html_of(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


# --- Sending, in the recipient's language ---------------------------------------------------------------------

@pytest.mark.django_db
def test_reminder_email_in_english_says_what_is_missing_and_links_to_the_dossiers(
        org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    certification = noloc(org_a, alice)
    result = scan(django_capture_on_commit_callbacks)
    assert (result.due, result.claimed) == (1, 1)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    assert message.subject == f"Submit your recertification portfolio (certificate {certification.number})"
    assert "Dear Alice," in message.body
    assert "The recertification date of certificate" in message.body
    assert "is 1 June 2027. That is in 92 days." in message.body
    assert ("Add 30 more Further training within the field points by 31 May 2027: the recertification period "
            "needs at least 30.") in message.body
    assert "Your recertification dossier has not been submitted yet." in message.body
    assert f"{settings.SITE_URL}/acme/dossiers/" in message.body
    [reminder] = rows()
    assert (reminder.status, reminder.email, reminder.language, reminder.subject) == (
        "sent", "alice@example.com", "en", message.subject)
    assert reminder.sent_at is not None


@pytest.mark.django_db
def test_reminder_email_in_dutch_for_a_dutch_speaker(org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    alice.preferred_language = "nl"
    alice.save(update_fields=["preferred_language"])
    noloc(org_a, alice)
    scan(django_capture_on_commit_callbacks)
    message = mailoutbox[0]
    assert message.subject.startswith("Dien je recertificeringsportfolio in")
    assert ("Registreer uiterlijk 31 mei 2027 nog 30 punten voor Bij- en nascholing binnen het vakgebied"
            in message.body)
    assert "1 juni 2027" in message.body
    assert "1 June 2027" not in message.body
    assert message.body.startswith("Beste Alice,")
    # A sentence new in this area, in its Dutch wording.
    assert "De recertificeringsdatum van certificaat" in message.body
    assert rows()[0].language == "nl"


@pytest.mark.django_db
def test_reminder_email_in_the_organisations_language_when_the_person_has_none(
        org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    org_a.default_language = "nb"
    org_a.save(update_fields=["default_language"])
    factories.certification(org_a, alice, "peoplecert-cpd", exam_passed_on=D(2023, 4, 30))
    scan(django_capture_on_commit_callbacks)
    message = mailoutbox[0]
    assert message.subject.startswith("CPD-poengene dine for dette CPD-året må sendes inn")
    assert "Registrer 5 poeng til i Yrkeserfaring innen 30. april 2027" in message.body
    assert message.body.startswith("Hei Alice,")
    assert rows()[0].language == "nb"


@pytest.mark.django_db
def test_html_body_carries_the_organisations_branding(org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    with maintenance():
        type(org_a).objects.filter(pk=org_a.pk).update(primary_colour="#5b2a86", logo="branding/acme.png")
    noloc(org_a, alice)
    scan(django_capture_on_commit_callbacks)
    html = html_of(mailoutbox[0])
    assert "Acme Certification" in html
    assert "background:#5b2a86" in html
    assert f'src="{settings.SITE_URL}/acme/logo"' in html
    assert f'href="{settings.SITE_URL}/acme/dossiers/"' in html
    assert "/acme/reminders/unsubscribe/" in html
    assert '<html lang="en">' in html


@pytest.mark.django_db
def test_a_redelivered_send_task_does_not_send_twice(org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    scan(django_capture_on_commit_callbacks)
    [reminder] = rows()
    with django_capture_on_commit_callbacks(execute=True):
        outcome = reminders.reminder_send(reminder.pk, org_a.pk, THREE_MONTHS_BEFORE.isoformat())
    assert outcome == "not-claimed"
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_a_holder_who_left_the_organisation_is_not_sent_to(org_a, alice, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    with maintenance():
        org_a.memberships.filter(user=alice).delete()
    scan(django_capture_on_commit_callbacks)
    assert mailoutbox == []
    [reminder] = rows()
    assert (reminder.status, reminder.note) == ("skipped", "not-member")


@pytest.mark.django_db
def test_the_scan_enqueues_sends_through_the_outbox_only(org_a, alice, django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    noloc(org_a, factories.member(org_a, "bea@example.com", "professional"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = reminders.reminder_scan(today=THREE_MONTHS_BEFORE)
    assert result.claimed == 2
    with maintenance():
        messages = list(OutboxMessage.objects.filter(task=reminders.SEND_BATCH_TASK, published_at__isnull=True))
    assert len(messages) == 1  # one send task for the batch
    assert sorted(pk for m in messages for pk in m.kwargs["reminder_ids"]) == sorted(r.pk for r in rows())
    assert {m.kwargs["organisation_id"] for m in messages} == {org_a.pk}
    assert len(callbacks) == 1  # one publish after commit, for the whole batch


@pytest.mark.django_db
def test_a_reminder_whose_task_was_lost_is_queued_again_by_the_next_scan(org_a, alice, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    with django_capture_on_commit_callbacks(execute=False):  # never published, and then lost for good
        reminders.reminder_scan(today=THREE_MONTHS_BEFORE)
    with maintenance():
        OutboxMessage.objects.filter(task=reminders.SEND_BATCH_TASK).delete()
    assert scan(django_capture_on_commit_callbacks).requeued == 0  # not yet: it may still be on its way
    with maintenance():
        Reminder.objects.filter(organisation=org_a).update(claimed_at=timezone.now() - dt.timedelta(hours=2))
    result = scan(django_capture_on_commit_callbacks, THREE_MONTHS_BEFORE + dt.timedelta(days=1))
    assert (result.claimed, result.requeued) == (0, 1)
    assert len(mailoutbox) == 1
    assert rows()[0].status == "sent"
    assert scan(django_capture_on_commit_callbacks).requeued == 0


@pytest.mark.django_db
def test_scan_task_records_a_heartbeat_with_its_counts(org_a, alice, django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    with django_capture_on_commit_callbacks(execute=True):
        counts = reminders.reminder_scan_task(today=THREE_MONTHS_BEFORE.isoformat())
    assert counts["claimed"] == 1
    beat = Heartbeat.objects.get(name="reminder-scan")
    assert beat.detail["claimed"] == 1
    assert beat.detail["today"] == "2027-03-01"


# --- Exactly once under concurrent scans ---------------------------------------------------------------------

def _many_due(org, count: int) -> None:
    for index in range(count):
        holder = factories.member(org, f"p{index}@{org.slug}.example.com", "professional", first_name=f"P{index}")
        noloc(org, holder)


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_claim_and_send_each_reminder_exactly_once(org_a, org_b, monkeypatch):
    """Two threads, two database connections; both reach the claim statement at the same moment."""
    _many_due(org_a, 30)
    _many_due(org_b, 5)
    barrier = threading.Barrier(2, timeout=30)
    original = reminders.claim

    def claim_together(claims, **kwargs):
        barrier.wait()  # both scans found the same due reminders; now both insert them
        return original(claims, **kwargs)

    monkeypatch.setattr(reminders, "claim", claim_together)
    results: list[reminders.ScanResult] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(reminders.reminder_scan(today=THREE_MONTHS_BEFORE))
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sorted(r.due for r in results) == [35, 35]
    assert sum(r.claimed for r in results) == 35
    assert sum(r.already for r in results) == 35
    assert len(rows()) == 35
    assert len(mail.outbox) == 35
    assert len({message.to[0] for message in mail.outbox}) == 35
    with maintenance():
        sends = OutboxMessage.objects.filter(task=reminders.SEND_BATCH_TASK)
        assert sorted(pk for m in sends for pk in m.kwargs["reminder_ids"]) == sorted(r.pk for r in rows())


@pytest.mark.django_db(transaction=True)
def test_two_scans_on_a_real_worker_send_each_reminder_once(worker, org_a):  # noqa: F811 - fixture
    """Celery's embedded worker on the real Redis runs two scans at the same time, then the sends."""
    _many_due(org_a, 12)
    first = reminders.reminder_scan_task.delay(today=THREE_MONTHS_BEFORE.isoformat())
    second = reminders.reminder_scan_task.delay(today=THREE_MONTHS_BEFORE.isoformat())
    assert first.id != second.id
    assert wait_for(lambda: len(mail.outbox) >= 12, seconds=30)
    time.sleep(1.0)  # anything sent twice would arrive by now
    assert len(mail.outbox) == 12
    assert len({message.to[0] for message in mail.outbox}) == 12
    assert {r.status for r in rows()} == {"sent"}
    assert Heartbeat.objects.get(name="reminder-scan").detail["today"] == "2027-03-01"


# --- Unsubscribe -------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_one_click_unsubscribe_without_logging_in(client, org_a, alice, mailoutbox,
                                                  django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    scan(django_capture_on_commit_callbacks, D(2026, 12, 1))
    link = unsubscribe_link(mailoutbox[0])
    page = client.get(link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Stop sending “Submit your recertification portfolio” reminders from Acme Certification" in text
    assert ReminderOptOut.objects.filter(organisation=org_a, user=alice).count() == 0  # GET changes nothing
    done = client.post(link, {"action": "unsubscribe"})
    assert done.status_code == 200
    assert "will no longer be sent to alice@example.com" in done.content.decode()
    assert ReminderOptOut.objects.filter(organisation=org_a, user=alice, code="submit-portfolio").count() == 1
    assert AuditEvent.objects.filter(organisation=org_a, actor=alice, action="reminder.unsubscribe").count() == 1
    # The link again: it says it was used, and changes nothing more.
    again = client.post(link, {"action": "unsubscribe"})
    assert "This link was used before" in again.content.decode()
    assert ReminderOptOut.objects.filter(organisation=org_a, user=alice).count() == 1
    # The next reminder of that kind is claimed as skipped, never sent.
    result = scan(django_capture_on_commit_callbacks)
    assert (result.claimed, result.skipped) == (0, 1)
    assert len(mailoutbox) == 1
    assert [(r.status, r.note) for r in rows()][-1] == ("skipped", "opted-out")


@pytest.mark.django_db
def test_resubscribe_from_the_same_link(client, org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    scan(django_capture_on_commit_callbacks, D(2026, 12, 1))
    link = unsubscribe_link(mailoutbox[0])
    client.post(link, {"action": "unsubscribe"})
    page = client.post(link, {"action": "resubscribe"})
    assert "will be sent to alice@example.com again" in page.content.decode()
    assert not ReminderOptOut.objects.filter(organisation=org_a, user=alice).exists()
    scan(django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_tampered_or_foreign_unsubscribe_links_are_not_valid(client, org_a, org_b, alice, charlie):
    token = reminders.unsubscribe_token(organisation_id=org_a.pk, user_id=alice.pk, code="submit-portfolio",
                                        scheme="noloc-register-jobcoach")
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for bad in (tampered, "not-a-token"):
        response = client.get(reverse("reminder_unsubscribe", kwargs={"org": "acme", "token": bad}))
        assert response.status_code == 404
        assert "This unsubscribe link is not valid" in response.content.decode()
    foreign = reminders.unsubscribe_token(organisation_id=org_b.pk, user_id=charlie.pk, code="submit-portfolio",
                                          scheme="noloc-register-jobcoach")
    for method in ("get", "post"):
        response = getattr(client, method)(reverse("reminder_unsubscribe", kwargs={"org": "acme", "token": foreign}))
        assert response.status_code == 404
    assert not ReminderOptOut.objects.filter(organisation=org_b).exists()
    assert client.get(reverse("reminder_unsubscribe", kwargs={"org": "bravo", "token": foreign})).status_code == 200


@pytest.mark.django_db
def test_mandatory_expiry_notice_has_no_unsubscribe_and_ignores_opt_outs(
        client, org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    cmi(org_a, alice)
    with maintenance():
        ReminderOptOut.objects.create(organisation=org_a, user=alice, code="certificate-expired")
        ReminderOptOut.objects.create(organisation=org_a, user=alice, code="apply-for-recertification")
    scan(django_capture_on_commit_callbacks, D(2027, 3, 1))  # "apply": opted out
    scan(django_capture_on_commit_callbacks, D(2027, 6, 2))  # "expired": mandatory
    assert [(r.code, r.status) for r in rows()] == [("apply-for-recertification", "skipped"),
                                                     ("certificate-expired", "sent")]
    [message] = mailoutbox
    assert message.subject.startswith("Your certificate has expired")
    assert "was 1 June 2027. That was 1 day ago." in message.body
    assert "/reminders/unsubscribe/" not in message.body
    assert "cannot be unsubscribed from" in message.body
    assert "/reminders/unsubscribe/" not in html_of(message)
    token = reminders.unsubscribe_token(organisation_id=org_a.pk, user_id=alice.pk, code="certificate-expired",
                                        scheme="cmi-register-loopbaanprofessional")
    url = reverse("reminder_unsubscribe", kwargs={"org": "acme", "token": token})
    with maintenance():
        ReminderOptOut.objects.filter(organisation=org_a).delete()
    response = client.post(url, {"action": "unsubscribe"})
    assert "cannot be unsubscribed from" in response.content.decode()
    assert not ReminderOptOut.objects.filter(organisation=org_a).exists()


# --- Query counts --------------------------------------------------------------------------------------------

def _scan_queries(today: dt.date) -> tuple[int, reminders.ScanResult]:
    with CaptureQueriesContext(connection) as queries:
        result = reminders.reminder_scan(today=today)
    return len(queries.captured_queries), result


@pytest.mark.django_db
def test_scan_query_count_does_not_grow_with_certifications(org_a, alice):
    noloc(org_a, alice)
    factories.activity(org_a, alice, "course", D(2026, 1, 10), 8)
    one, result = _scan_queries(THREE_MONTHS_BEFORE)
    assert result.claimed == 1
    for index in range(29):
        holder = factories.member(org_a, f"q{index}@example.com", "professional")
        noloc(org_a, holder)
        factories.activity(org_a, holder, "course", D(2026, 1, 10), 8)
        factories.certification(org_a, holder, "cmi-register-loopbaanprofessional",
                                recertification_date=D(2027, 7, 1))  # due in the same scan
    thirty, result = _scan_queries(THREE_MONTHS_BEFORE)
    assert result.claimed == 58
    assert thirty == one


# --- The administrators' log --------------------------------------------------------------------------------

def _reminder(org, certification, code="submit-portfolio", send_on=THREE_MONTHS_BEFORE, **fields) -> Reminder:
    with maintenance():
        return Reminder.objects.create(organisation=org, certification=certification, recipient=certification.holder,
                                       code=code, anchor_date=RECERTIFICATION, send_on=send_on, **fields)


def log_url(org, **params) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("reminder_log", kwargs={"org": org.slug}) + (f"?{query}" if query else "")


@pytest.mark.django_db
def test_reminder_log_shows_what_was_sent_when_and_to_whom(client, org_a, alice, ada, mailoutbox,
                                                           django_capture_on_commit_callbacks):
    certification = noloc(org_a, alice)
    scan(django_capture_on_commit_callbacks)
    with maintenance():
        DeliveryFailure.objects.create(organisation=org_a, email="alice@example.com", reason="550 no such mailbox")
    client.force_login(ada)
    page = client.get(log_url(org_a))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Submit your recertification portfolio" in text
    assert certification.number in text
    assert "alice@example.com" in text
    assert "Sent" in text
    assert "address refused" in text
    assert "1 refused address" in text


@pytest.mark.django_db
def test_reminder_log_filters(client, org_a, alice, ada):
    bea = factories.member(org_a, "bea@example.com", "professional", first_name="Bea")
    first = noloc(org_a, alice, number="N-ALICE")
    second = cmi(org_a, bea, number="N-BEA")
    _reminder(org_a, first, status="sent", email="alice@example.com", send_on=D(2026, 12, 1))
    _reminder(org_a, first, status="skipped", note="opted-out", send_on=D(2027, 3, 1))
    _reminder(org_a, second, code="apply-for-recertification", status="claimed", send_on=D(2027, 5, 1))
    client.force_login(ada)

    def numbers(**params) -> list[str]:
        response = client.get(log_url(org_a, **params))
        assert response.status_code == 200
        table = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        return re.findall(r"N-(?:ALICE|BEA)", table)

    assert len(numbers()) == 3
    assert numbers(status="skipped") == ["N-ALICE"]
    assert numbers(code="apply-for-recertification") == ["N-BEA"]
    assert numbers(q="bea") == ["N-BEA"]
    assert numbers(q="N-ALICE") == ["N-ALICE", "N-ALICE"]
    assert numbers(due_from="2027-02-01", due_to="2027-04-01") == ["N-ALICE"]
    skipped = client.get(log_url(org_a, status="skipped")).content.decode()
    assert "The recipient unsubscribed from this kind of reminder." in skipped
    wrong = client.get(log_url(org_a, due_from="2027-04-01", due_to="2027-02-01"))
    assert wrong.status_code == 200
    assert "The end date is before the start date." in wrong.content.decode()
    assert 'value="2027-04-01"' in wrong.content.decode()  # what was typed is kept
    partial = client.get(log_url(org_a, status="sent"), headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
    assert re.findall(r"N-(?:ALICE|BEA)", partial.content.decode()) == ["N-ALICE"]


@pytest.mark.django_db
def test_reminder_log_paginates(client, org_a, alice, ada):
    certification = noloc(org_a, alice)
    for index in range(30):
        _reminder(org_a, certification, send_on=D(2026, 1, 1) + dt.timedelta(days=index))
    client.force_login(ada)
    first = client.get(log_url(org_a)).content.decode()
    assert "Page 1 of 2" in first
    assert "30 reminders" in first
    assert "Page 2 of 2" in client.get(log_url(org_a, page=2)).content.decode()


@pytest.mark.django_db
def test_reminder_log_query_count_does_not_grow_with_rows(client, org_a, alice, ada):
    certification = noloc(org_a, alice)
    _reminder(org_a, certification, status="sent", email="alice@example.com")
    client.force_login(ada)
    client.get(log_url(org_a))  # warm caches (sessions, parsed definitions)
    with CaptureQueriesContext(connection) as one:
        assert client.get(log_url(org_a)).status_code == 200
    for index in range(24):
        holder = factories.member(org_a, f"r{index}@example.com", "professional")
        _reminder(org_a, noloc(org_a, holder), status="sent", email=f"r{index}@example.com")
    with CaptureQueriesContext(connection) as many:
        response = client.get(log_url(org_a))
    assert "25 reminders" in response.content.decode()
    assert len(many.captured_queries) == len(one.captured_queries)


@pytest.mark.django_db
def test_reminder_pages_are_for_administrators(client, org_a, alice, charlie):
    client.force_login(alice)
    assert client.get(log_url(org_a)).status_code == 403
    assert client.get(reverse("delivery_failures", kwargs={"org": "acme"})).status_code == 403
    client.force_login(charlie)  # an administrator, of another organisation
    assert client.get(log_url(org_a)).status_code == 404
    assert client.get(reverse("delivery_failures", kwargs={"org": "acme"})).status_code == 404


@pytest.mark.django_db
def test_refused_addresses_page(client, org_a, org_b, ada):
    with maintenance():
        DeliveryFailure.objects.create(organisation=org_a, email="gone@example.com", reason="550 5.1.1 No such user",
                                       subject="Submit your portfolio", count=3)
        DeliveryFailure.objects.create(organisation=org_a, email="full@example.com", reason="552 mailbox full")
        DeliveryFailure.objects.create(organisation=org_b, email="bravo-only@example.com", reason="550")
    client.force_login(ada)
    url = reverse("delivery_failures", kwargs={"org": "acme"})
    text = client.get(url).content.decode()
    assert "gone@example.com" in text
    assert "550 5.1.1 No such user" in text
    assert "full@example.com" in text
    assert "bravo-only@example.com" not in text
    searched = client.get(url + "?q=gone").content.decode()
    assert "gone@example.com" in searched
    assert "full@example.com" not in searched


def test_non_mandatory_reminders_carry_a_list_unsubscribe_header(db, django_capture_on_commit_callbacks):
    """Mail clients show their own unsubscribe button from this header; it opens our confirmation page."""
    from django.core import mail

    from accounts.services import email_enqueue

    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(to="x@example.com", subject="s", body="b",
                      headers={"List-Unsubscribe": "<https://recert.example/acme/reminders/unsubscribe/t/>"})
    assert mail.outbox[-1].extra_headers["List-Unsubscribe"] == "<https://recert.example/acme/reminders/unsubscribe/t/>"


@pytest.mark.django_db(transaction=True)
def test_chunks_and_send_batches_on_a_real_worker_send_each_reminder_once(worker, org_a, monkeypatch):  # noqa: F811
    """Small chunks and small send batches on the real Redis and worker: every due reminder is claimed once
    and sent once, an opt-out is claimed as skipped and not sent, a reminder claimed earlier is honoured
    (never sent again), and the scan right after claims nothing."""
    monkeypatch.setattr(reminders, "SEND_BATCH", 3)
    _many_due(org_a, 11)
    with maintenance():
        certifications = list(org_a.certifications.order_by("pk").select_related("holder"))
        ReminderOptOut.objects.create(organisation=org_a, user=certifications[4].holder, code="submit-portfolio")
        earlier = reminders.due_claims(org_a, THREE_MONTHS_BEFORE)
    with maintenance():
        first_claim = next(c for c in earlier if c.certification_id == certifications[7].pk)
        reminders.claim([dataclasses.replace(first_claim, status=Reminder.Status.SENT)])  # sent by an earlier scan
    result = reminders.reminder_scan(today=THREE_MONTHS_BEFORE, chunk_size=4)
    assert (result.due, result.claimed, result.skipped, result.already) == (11, 9, 1, 1)
    assert wait_for(lambda: len(mail.outbox) >= 9, seconds=30)
    time.sleep(1.0)  # anything sent twice would arrive by now
    recipients = sorted(message.to[0] for message in mail.outbox)
    expected = sorted(c.holder.email for index, c in enumerate(certifications) if index not in (4, 7))
    assert recipients == expected
    with maintenance():
        batches = list(OutboxMessage.objects.filter(task=reminders.SEND_BATCH_TASK))
        assert all(m.published_at is not None for m in batches)
        sent = [pk for m in batches for pk in m.kwargs["reminder_ids"]]
        assert len(sent) == len(set(sent)) == 9
        assert max(len(m.kwargs["reminder_ids"]) for m in batches) <= 3
    assert sorted((r.certification_id, r.status) for r in rows()) == sorted(
        (c.pk, "skipped" if index == 4 else "sent") for index, c in enumerate(certifications))
    again = reminders.reminder_scan(today=THREE_MONTHS_BEFORE, chunk_size=4)
    assert (again.due, again.claimed, again.already) == (11, 0, 11)
    time.sleep(0.5)
    assert len(mail.outbox) == 9


@pytest.mark.django_db
def test_a_send_batch_run_twice_sends_each_reminder_once(org_a, alice, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    noloc(org_a, alice)
    noloc(org_a, factories.member(org_a, "bea@example.com", "professional"))
    with django_capture_on_commit_callbacks(execute=False):
        reminders.reminder_scan(today=THREE_MONTHS_BEFORE)
    ids = [r.pk for r in rows()]
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave through the outbox too
        first = reminders.reminder_send_batch(ids, org_a.pk, THREE_MONTHS_BEFORE.isoformat())
        again = reminders.reminder_send_batch(ids, org_a.pk, THREE_MONTHS_BEFORE.isoformat())
    assert (first, again) == ({"sent": 2}, {"not-claimed": 2})
    assert len(mailoutbox) == 2
