"""The later lifecycle stages on the professional's card (review: in review, accepted on the rules; the
certifying body: advice given, decided, certificate valid until), the review's work waiting on the
administrator's home, and the professional's e-mail at each step — with constant queries."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.home import waiting
from accounts.models import OutboxMessage
from accounts.tenancy import maintenance
from certificates import services as certificate_services
from certificates.models import Appeal, Decision
from portfolios import reports
from review import services as review_services
from review.models import Allocation, ReviewCase
from schemes import rules
from tests import factories
from tests.review_helpers import CMI, PEOPLECERT, activity, allocations, assessors, case_of, submitted
from tests.test_review import ALL_MEET, declared, judge

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(org_a):
    """Xena, Yuri and Zoe assess."""
    xena, yuri, zoe = assessors(org_a, "Xena Xavier", "Yuri Young", "Zoe Zimmer")
    return {"xena": xena, "yuri": yuri, "zoe": zoe}


def home(client, org):
    return client.get(reverse("org_home", kwargs={"org": org.slug})).content.decode()


def sentence(page: str, number: str) -> str:
    """The one sentence of the card of certificate `number`."""
    card = page[page.index(f"Certificate {number}"):]
    found = re.search(r'class="missing next-step[^"]*">(.*?)</p>', card, re.S)
    assert found, card[:2000]
    return html.unescape(" ".join(found.group(1).split()))


def stages(page: str, number: str) -> dict[str, str]:
    """The card's stages: code → status."""
    card = page[page.index(f"Certificate {number}"):]
    card = card[:card.find("</article>")]
    return {code: status for status, code in re.findall(r'class="lifecycle-stage (\w+)" data-stage="(\w+)"', card)}


def day(moment) -> str:
    return reports.day_of(moment)


def cmi_certification(org, person, number):
    return factories.certification(org, person, CMI, number=number, recertification_date=dt.date(2027, 6, 1),
                                   expires_on=dt.date(2027, 6, 1), issued_on=dt.date(2024, 6, 1))


def advised(case, outcome="positive"):
    first, second = declared(case)
    judge(first, ALL_MEET)
    judge(second, ALL_MEET)
    with maintenance():
        review_services.advice_send(case=case_of(case.submission), by=first.assessor, outcome=outcome,
                                    summary="Meets every requirement.")
    return first


def decide(org, case, outcome, by):
    with maintenance():
        return certificate_services.decision_record(organisation=org, submission_id=case.submission_id, by=by,
                                                    outcome=outcome, reasons="The reasons of the decision.",
                                                    today=dt.date(2027, 5, 1))


def test_the_card_walks_in_review_advice_given_decided_and_certificate_valid_until(client, org_a, alice,
                                                                                    cast):
    cmi_certification(org_a, alice, "CMI-1")
    client.force_login(alice)
    case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-2")))
    page = home(client, org_a)
    started = day(case_of(case.submission).review_started_at)
    assert sentence(page, "CMI-2") == (f"In review since {started}; nothing to do now: you hear from us when the "
                                       "advice is in.")
    assert stages(page, "CMI-2")["submitted"] == "done"  # superseded by the review
    assert stages(page, "CMI-2")["in_review"] == "waiting"
    assert "Xena" not in page
    assert "Yuri" not in page

    advice_by = advised(case)
    page = home(client, org_a)
    sent = day(case_of(case.submission).advice.sent_at)
    assert sentence(page, "CMI-2") == (f"The assessors sent their advice to the certifying body on {sent}; it "
                                       "decides next. Nothing to do now.")
    assert stages(page, "CMI-2")["in_review"] == "done"
    assert "positive" not in sentence(page, "CMI-2").lower()

    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    decision = decide(org_a, case, "grant", dana)
    page = home(client, org_a)
    assert stages(page, "CMI-2") == {"dossier": "done", "submitted": "done", "in_review": "done", "advice": "done",
                                     "decided": "done", "certificate": "done"}
    assert f"Granted on {day(decision.decided_at)}." in page
    assert sentence(page, "CMI-2") == "Certificate valid until 1 June 2030."
    assert "CMI-1" in page
    assert "decided" not in stages(page, "CMI-1")  # the other card is untouched
    assert advice_by.assessor.get_full_name() not in page

    # The dossier page tells the same steps, to the certificate.
    page = client.get(reverse("dossier_detail", kwargs={"org": org_a.slug, "pk": case.submission.dossier_id}))
    steps = re.findall(r'data-step="(\w+)"', page.content.decode())
    assert steps == ["submitted", "in_review", "advice_given", "decided", "certificate"]
    assert "Decided: granted" in page.content.decode()
    assert "Certificate valid until 1 June 2030." in page.content.decode()


def test_a_refusal_names_the_appeal_then_its_state(client, org_a, alice, cast):
    case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-3")))
    advised(case, outcome="negative")
    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    decision = decide(org_a, case, "refuse", dana)
    client.force_login(alice)
    page = home(client, org_a)
    with maintenance():
        deadline = rules.appeal_deadline(certificate_services.definition_for(decision.certification),
                                         timezone.localtime(decision.decided_at).date())
    assert sentence(page, "CMI-3") == f"Read the reasons and, if you disagree, appeal before {reports.date(deadline)}."
    assert stages(page, "CMI-3")["decided"] == "current"
    assert stages(page, "CMI-3")["advice"] == "done"
    assert reverse("appeal_create", kwargs={"org": org_a.slug, "pk": decision.pk}) in page
    assert "certificate" not in stages(page, "CMI-3")
    dossier_page = client.get(reverse("dossier_detail", kwargs={"org": org_a.slug, "pk": case.submission.dossier_id}))
    assert "Decided: refused" in dossier_page.content.decode()

    with maintenance():
        certificate_services.appeal_file(decision=Decision.objects.get(pk=decision.pk), by=alice,
                                         grounds="The assessors missed my statement.", files=[])
        appeal = Appeal.objects.get(decision=decision)
    page = home(client, org_a)
    assert sentence(page, "CMI-3") == (f"Refused on {day(decision.decided_at)}; your appeal of {day(appeal.filed_at)} "
                                       "is being handled; nothing to do now.")


def test_reconciling_reads_as_in_review_on_the_card(client, org_a, alice, cast):
    """Blindness: a split between the assessors is not visible to the candidate."""
    case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-4")))
    client.force_login(alice)
    before = sentence(home(client, org_a), "CMI-4")
    first, second = declared(case)
    judge(first, ALL_MEET)
    judge(second, {**ALL_MEET, "competence": "not_met"})
    assert case_of(case.submission).state == ReviewCase.State.RECONCILING
    page = home(client, org_a)
    assert sentence(page, "CMI-4") == before
    assert "reconcil" not in page.lower()
    assert "not meet" not in page.lower()


def test_peoplecert_accepted_on_the_rules(client, org_a, alice, cast):
    certification = factories.certification(org_a, alice, PEOPLECERT, number="PC-1")
    hours = [activity(1, "attending-events", dt.date(2025, 10, 1), "20")]
    submitted(org_a, alice, PEOPLECERT, activities=hours, certification=certification,
              when=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
    with maintenance():
        definition = certification.scheme_version.rules
        reference = reports.dossier_reference_date(certification, definition, "recertification",
                                                   timezone.localdate())
    high = next(f"seed-{n}" for n in range(10_000) if rules.sample_draw(f"seed-{n}") >= 1000)
    repeat = submitted(org_a, alice, PEOPLECERT, activities=hours, certification=certification, digest=high,
                       when=dt.datetime(reference.year, 1, 15, tzinfo=dt.UTC))
    case = case_of(repeat)
    assert case.state == ReviewCase.State.ACCEPTED_ON_RULES
    client.force_login(alice)
    page = home(client, org_a)
    assert stages(page, "PC-1").get("accepted") == "done"
    assert (f"Accepted on {day(case.closed_at)} on the scheme's rules alone: this submission was not selected for "
            "an assessor's review. Nothing more to do for it.") in html.unescape(page)


def test_the_dashboard_keeps_its_query_count_with_one_or_several_certifications_in_review(
        client, org_a, alice, cast, django_assert_max_num_queries):
    case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-10")))
    client.force_login(alice)
    home(client, org_a)
    with django_assert_max_num_queries(24) as one:
        home(client, org_a)
    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    advised_case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-11")))
    advised(advised_case)
    decided_case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-12")))
    advised(decided_case, outcome="negative")
    decide(org_a, decided_case, "refuse", dana)
    granted = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-13")))
    advised(granted)
    decide(org_a, granted, "grant", dana)
    home(client, org_a)  # the first visit after a change re-evaluates the kept reports (tests/test_kept_report.py)
    with django_assert_max_num_queries(24) as several:
        page = home(client, org_a)
    assert {code for number in ("CMI-10", "CMI-11", "CMI-12", "CMI-13") for code in stages(page, number)} >= {
        "in_review", "advice", "decided", "certificate"}
    assert len(one.captured_queries) == len(several.captured_queries)


def test_the_compliance_overview_keeps_its_query_count_with_review_cases(client, org_a, ada, cast,
                                                                         django_assert_max_num_queries):
    first = factories.member(org_a, "p0@example.com", "professional", last_name="P00")
    case_of(submitted(org_a, first, certification=cmi_certification(org_a, first, "CMI-20")))
    client.force_login(ada)
    url = reverse("compliance", kwargs={"org": org_a.slug})
    client.get(url)
    with django_assert_max_num_queries(24) as one:
        client.get(url)
    for n in range(1, 6):
        person = factories.member(org_a, f"p{n}@example.com", "professional", last_name=f"P{n:02}")
        case = case_of(submitted(org_a, person, certification=cmi_certification(org_a, person, f"CMI-2{n}")))
        if n % 2:
            advised(case)
    with django_assert_max_num_queries(24) as many:
        body = client.get(url).content.decode()
    assert "In review since" in body
    assert len(one.captured_queries) == len(many.captured_queries)


# --- The administrator's home ------------------------------------------------------------------------------

def test_the_home_shows_the_review_work_waiting_with_counts_and_links(client, org_a, alice, ada, cast, settings,
                                                                      django_assert_max_num_queries):
    settings.REVIEW_AUTO_ALLOCATE = False
    unallocated = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-30")))
    half = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-31")))
    with maintenance():
        review_services.allocate(case=half, assessor=cast["xena"], by=ada,
                                 due_on=timezone.localdate() - dt.timedelta(days=2))
    client.force_login(ada)
    home(client, org_a)
    with django_assert_max_num_queries(40) as few:
        page = home(client, org_a)
    with maintenance():
        items = {item.code: item for item in waiting(org_a)}
    assert items["review_allocation"].count == 2  # none yet, and one of the two assessors
    assert items["review_overdue"].count == 1
    assert items["review_overdue"].urgent
    assert items["review_decision"].count == 0
    assert 'data-waiting="review_allocation"' in page
    assert reverse("review_queue", kwargs={"org": org_a.slug}) + "?state=open" in page
    assert reverse("review_overdue", kwargs={"org": org_a.slug}) in page
    assert "2 cases wait for an assessor." in page
    assert unallocated.pk

    settings.REVIEW_AUTO_ALLOCATE = True
    for n in range(3):
        person = factories.member(org_a, f"q{n}@example.com", "professional")
        advised(case_of(submitted(org_a, person, certification=cmi_certification(org_a, person, f"CMI-4{n}"))))
    with maintenance():
        items = {item.code: item for item in waiting(org_a)}
    assert items["review_decision"].count == 3
    with django_assert_max_num_queries(40) as many:
        page = home(client, org_a)
    assert "3 advised cases wait for a decision." in page
    assert reverse("decision_queue", kwargs={"org": org_a.slug}) in page
    assert len(few.captured_queries) == len(many.captured_queries)
    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    with maintenance():
        certificate_services.decision_record(organisation=org_a, submission_id=ReviewCase.objects.filter(
            candidate__email="q0@example.com").get().submission_id, by=dana, outcome="grant", reasons="Fine.")
        assert {item.code: item for item in waiting(org_a)}["review_decision"].count == 2


# --- The professional's e-mail -------------------------------------------------------------------------------

def candidate_mail(mailoutbox, person):
    return [mail for mail in mailoutbox if mail.to == [person.email]]


@pytest.mark.parametrize(("language", "words"), [
    ("en", {"in_review": "is in review", "advice": "advice", "decision": "Decision on your dossier",
            "issued": "is renewed"}),
    ("nl", {"in_review": "beoordeling", "advice": "advies", "decision": "Besluit", "issued": "verlengd"}),
    ("nb", {"in_review": "vurdering", "advice": "råd", "decision": "Vedtak", "issued": "fornyet"}),
])
def test_the_professional_is_mailed_at_each_step_in_their_language_once(org_a, cast, mailoutbox, language, words,
                                                                        django_capture_on_commit_callbacks):
    person = factories.member(org_a, f"{language}@example.com", "professional", first_name="Pat", last_name="Lang",
                              preferred_language=language)
    certification = cmi_certification(org_a, person, f"CMI-{language}")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_of(submitted(org_a, person, certification=certification))
    subjects = [mail.subject for mail in candidate_mail(mailoutbox, person)]
    assert len(subjects) == 1  # two assessors, one mail
    assert words["in_review"] in subjects[0].lower()

    with django_capture_on_commit_callbacks(execute=True):
        first, second = declared(case)
        judge(first, ALL_MEET)
        judge(second, ALL_MEET)
    before_advice = candidate_mail(mailoutbox, person)
    assert len(before_advice) == 1  # blind: nothing reaches the candidate while the assessors judge
    for mail in before_advice:
        for name in (first.assessor.get_full_name(), second.assessor.get_full_name(), "meets", "not_met"):
            assert name not in mail.body

    with django_capture_on_commit_callbacks(execute=True), maintenance():
        review_services.advice_send(case=case_of(case.submission), by=first.assessor, outcome="positive",
                                    summary="Meets every requirement.")
    mails = candidate_mail(mailoutbox, person)
    assert len(mails) == 2
    assert words["advice"] in (mails[1].subject + mails[1].body).lower()
    assert first.assessor.get_full_name() not in mails[1].body

    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    with django_capture_on_commit_callbacks(execute=True):
        decide(org_a, case, "grant", dana)
    mails = candidate_mail(mailoutbox, person)
    assert len(mails) == 4
    assert words["decision"] in mails[2].subject
    assert words["issued"] in mails[3].subject.lower()
    with maintenance():
        code = certificate_services.Certificate.objects.get(certification=certification).code
    assert f"/verify/{code}/" in mails[3].body
    with translation.override(language):
        assert reports.date(dt.date(2030, 6, 1)) in mails[3].body
    assert "{{" not in mails[3].body
    assert "%(" not in mails[3].body

    # Nothing is sent twice: another allocation of the same case does not announce the review again.
    with maintenance():
        assert OutboxMessage.objects.count() >= 4
        assert not Allocation.objects.filter(case=case, status__in=Allocation.OPEN).exists()
    assert len(candidate_mail(mailoutbox, person)) == 4


def test_a_second_allocation_does_not_mail_the_candidate_again(org_a, alice, ada, cast, settings, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    settings.REVIEW_AUTO_ALLOCATE = False
    case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-50")))
    with django_capture_on_commit_callbacks(execute=True), maintenance():
        review_services.allocate(case=case, assessor=cast["xena"], by=ada)
        allocation = allocations(case)[0]
        review_services.decline(allocation=allocation, by=cast["xena"], reason="Too busy")
        review_services.allocate(case=case_of(case.submission), assessor=cast["yuri"], by=ada)
        review_services.allocate(case=case_of(case.submission), assessor=cast["zoe"], by=ada)
    assert len(candidate_mail(mailoutbox, alice)) == 1


def test_decision_makers_see_the_decisions_waiting_and_nothing_of_the_administrators(client, org_a, alice, cast):
    advised(case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-60"))))
    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")
    client.force_login(dana)
    page = home(client, org_a)
    assert 'data-waiting="review_decision"' in page
    assert "1 advised case waits for a decision." in page
    assert 'data-waiting="review_allocation"' not in page
    assert 'data-waiting="invitations"' not in page
    assert 'id="areas-title"' not in page
    client.force_login(alice)
    page = home(client, org_a)
    assert 'id="waiting-title"' not in page


def test_a_held_review_names_what_holds_it(client, org_a, alice, cast):
    from dossiers import signals

    rule = signals.review_hold(lambda submission: "the recertification invoice is not paid yet")
    try:
        case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-70")))
        assert case.state == ReviewCase.State.HELD
        client.force_login(alice)
        page = home(client, org_a)
        assert sentence(page, "CMI-70") == ("Review starts once this is settled: the recertification invoice is not "
                                            "paid yet.")
        assert stages(page, "CMI-70")["in_review"] == "current"
    finally:
        signals._review_holds.remove(rule)
    page = home(client, org_a)
    assert sentence(page, "CMI-70") == "Review starts shortly; nothing to do now."
    assert stages(page, "CMI-70")["in_review"] == "waiting"


def test_an_unallocated_case_waits_for_an_assessor(client, org_a, alice, settings):
    settings.REVIEW_AUTO_ALLOCATE = False
    case = case_of(submitted(org_a, alice, certification=cmi_certification(org_a, alice, "CMI-71")))
    client.force_login(alice)
    assert sentence(home(client, org_a), "CMI-71") == (f"Waiting for an assessor since {day(case.opened_at)}; "
                                                       "nothing to do now.")


def test_providers_fetch_for_their_own_card_without_the_pages_bulk_fetch(org_a, alice, cast,
                                                                        django_assert_max_num_queries):
    from certificates import lifecycle as certificates_lifecycle
    from portfolios import lifecycle
    from review import lifecycle as review_lifecycle

    certification = cmi_certification(org_a, alice, "CMI-80")
    case = case_of(submitted(org_a, alice, certification=certification))
    advised(case)
    with maintenance():
        dossier = case.submission.dossier
        context = lifecycle.LifecycleContext(organisation=org_a, user=alice, certification=certification,
                                             definition=certification.scheme_version.rules, report=None,
                                             today=timezone.localdate(), dossier=dossier)
        with django_assert_max_num_queries(4):
            review = review_lifecycle.review_stage(context)
            advice = certificates_lifecycle.advice_stage(context)
        assert review is not None
        assert review.status == lifecycle.DONE
        assert advice is not None
        assert advice.status == lifecycle.WAITING
        shared = lifecycle.prefetch(org_a, [dossier])
        assert set(shared) >= {review_lifecycle.KEY, certificates_lifecycle.KEY}
        with django_assert_max_num_queries(0):
            assert review_lifecycle.review_stage(lifecycle.LifecycleContext(
                organisation=org_a, user=alice, certification=certification,
                definition=certification.scheme_version.rules, report=None, today=timezone.localdate(),
                dossier=dossier, extra=dict(shared))) == review
