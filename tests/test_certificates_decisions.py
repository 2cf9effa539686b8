"""The certifying body decides (issue 11 items 1 and 2): grant, refuse or send back, by someone who did not assess
the case; a grant issues or renews the certificate by the scheme's rule and starts a new cycle."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from billing.models import Charge
from certificates import hooks, services
from certificates.models import Certificate, CertificateEvent, CertificatePdf, Decision
from portfolios import reports
from portfolios.models import Certification
from tests import factories
from tests.certificates_helpers import submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(org_a):
    return factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana", last_name="Decider")


@pytest.fixture
def cmi_cert(org_a, alice):
    return factories.certification(org_a, alice, "cmi-register-loopbaanprofessional", number="CMI-0001",
                                   recertification_date=dt.date(2026, 6, 1), expires_on=dt.date(2026, 6, 1),
                                   issued_on=dt.date(2023, 6, 1))


def decide(org, case, by, outcome="grant", reasons="Meets the norm.", **kwargs):
    with maintenance():
        return services.decision_record(organisation=org, submission_id=case.pk, by=by, outcome=outcome,
                                        reasons=reasons, **kwargs)


def reload(certification):
    with maintenance():
        return Certification.objects.get(pk=certification.pk)


def test_cmi_renewal_decided_before_expiry_runs_from_the_previous_expiry(org_a, alice, dana, bob, cmi_cert,
                                                                         advice_source, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    case = submission(cmi_cert, scope=["career-coaching", "outplacement"])
    advice_source.advise(case, "grant", assessors=[bob])
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(org_a, case, dana, today=dt.date(2026, 5, 1))
    renewed = reload(cmi_cert)
    assert renewed.expires_on == renewed.recertification_date == dt.date(2029, 6, 1)
    assert renewed.status == Certification.Status.ACTIVE
    with maintenance():
        certificate = Certificate.objects.get(certification=cmi_cert)
        event = CertificateEvent.objects.get(certification=cmi_cert)
        assert certificate.scope == ["career-coaching", "outplacement"]
        assert event.kind == "renewed"
        assert event.by == dana
        assert event.decision == decision
        assert event.data["expires_on"] == ["2026-06-01", "2029-06-01"]
        assert AuditEvent.objects.filter(organisation=org_a, action="decision.record").count() == 1
        assert AuditEvent.objects.filter(organisation=org_a, action="certificate.renew").count() == 1
        # The certificate PDF (Dutch, included) was queued and rendered by the task (eager in tests).
        assert CertificatePdf.objects.filter(certificate=certificate, language="nl").exclude(file="").exists()
    assert decision.advice["assessors"] == ["Bob Person"]
    assert any("CMI-0001" in mail.subject for mail in mailoutbox)


def test_a_new_cycle_starts_from_the_new_dates(org_a, alice, dana, cmi_cert, advice_source):
    case = submission(cmi_cert)
    advice_source.advise(case)
    decide(org_a, case, dana, today=dt.date(2026, 5, 1))
    renewed = reload(cmi_cert)
    with maintenance():
        report = reports.evaluate_certification(renewed, renewed.scheme_version.rules, [], dt.date(2026, 7, 1))
    assert report.deadline == dt.date(2029, 5, 31)  # the window's last day: the day before the new date


def test_cmi_renewal_after_expiry_runs_from_the_decision_and_the_start_is_editable(org_a, alice, dana, cmi_cert,
                                                                                   advice_source):
    case = submission(cmi_cert)
    advice_source.advise(case)
    with maintenance():
        found = services.case_for(org_a, case.pk)
        assert found is not None
        assert services.renewal_start_default(found, dt.date(2026, 7, 15)) == dt.date(2026, 7, 15)
    decide(org_a, case, dana, today=dt.date(2026, 7, 15), starts_on=dt.date(2026, 7, 1))
    assert reload(cmi_cert).expires_on == dt.date(2029, 7, 1)


def test_initial_grant_issues_the_certificate_and_bills_the_certification_fee_once(org_a, alice, dana,
                                                                                   advice_source):
    from tests.billing_helpers import billing_profile

    with maintenance():
        certification = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional",
                                                number="CMI-0002", recertification_date=None, expires_on=None)
    billing_profile(org_a)
    case = submission(certification, "initial", scope=["career-guidance"])
    advice_source.advise(case)
    decide(org_a, case, dana, today=dt.date(2026, 3, 10))
    issued = reload(certification)
    assert issued.issued_on == dt.date(2026, 3, 10)
    assert issued.expires_on == dt.date(2029, 3, 10)
    with maintenance():
        assert CertificateEvent.objects.get(certification=certification).kind == "issued"
        charges = Charge.objects.filter(organisation=org_a, customer=alice, trigger="certification")
        keys = list(charges.values_list("source_key", flat=True))
        assert keys == [f"certification:submission:{case.pk}:certification"]


def test_noloc_renewal_opens_the_next_four_year_window(org_a, alice, dana, advice_source):
    with maintenance():
        certification = factories.certification(org_a, alice, recertification_date=dt.date(2026, 9, 1))
    case = submission(certification)
    advice_source.advise(case)
    decide(org_a, case, dana, today=dt.date(2026, 8, 1))
    assert reload(certification).recertification_date == dt.date(2030, 9, 1)


def test_ccmg_keeps_the_designation_for_the_next_cycle(org_a, alice, dana, advice_source):
    with maintenance():
        certification = factories.certification(org_a, alice, "ccmg-cpd", cycle_start=dt.date(2025, 1, 1),
                                                expires_on=dt.date(2027, 12, 31))
    case = submission(certification)
    advice_source.advise(case)
    decide(org_a, case, dana, today=dt.date(2027, 11, 1))
    renewed = reload(certification)
    assert renewed.cycle_start == dt.date(2028, 1, 1)
    assert renewed.expires_on == dt.date(2030, 12, 31)
    assert renewed.designation == "CCOP"


def test_an_assessor_of_the_case_may_not_decide_and_is_told_why(org_a, alice, bob, cmi_cert, advice_source,
                                                                client):
    factories.member(org_a, bob.email, "decision_maker")
    case = submission(cmi_cert)
    advice_source.advise(case, assessors=[bob])
    with maintenance(), pytest.raises(ValidationError) as refused:
        services.decision_record(organisation=org_a, submission_id=case.pk, by=bob, outcome="grant", reasons="Fine.")
    assert "You assessed this case" in refused.value.messages[0]
    client.force_login(bob)
    url = reverse("case_detail", kwargs={"org": org_a.slug, "pk": case.pk})
    page = client.get(url)
    assert "You assessed this case" in page.content.decode()
    response = client.post(url, {"outcome": "grant", "reasons": "Fine."})
    assert response.status_code == 403
    with maintenance():
        assert not Decision.objects.filter(organisation=org_a).exists()
        # The service call and the page's POST (a GET only shows the reason) are both in the audit trail.
        assert AuditEvent.objects.filter(organisation=org_a, action="decision.refused_involved").count() == 2


def test_nobody_decides_on_their_own_dossier(org_a, alice, cmi_cert, advice_source):
    factories.member(org_a, alice.email, "decision_maker")
    case = submission(cmi_cert)
    advice_source.advise(case)
    with pytest.raises(ValidationError, match="your own dossier"):
        decide(org_a, case, alice)


def test_a_decision_is_frozen_and_a_case_is_decided_once(org_a, alice, dana, cmi_cert, advice_source):
    case = submission(cmi_cert)
    advice_source.advise(case, "refuse")
    decision = decide(org_a, case, dana, outcome="refuse", reasons="The reflection report is missing.")
    decision.reasons = "Changed afterwards"
    with pytest.raises(ValueError, match="frozen"):
        decision.save()
    with pytest.raises(ValidationError, match="not awaiting"):
        decide(org_a, case, dana)
    assert reload(cmi_cert).expires_on == dt.date(2026, 6, 1)  # a refusal moves nothing


def test_sent_back_cases_wait_for_a_new_advice(org_a, alice, dana, cmi_cert, advice_source):
    received = []
    hooks.decision_recorded.connect(lambda sender, decision, submission, **kw: received.append(decision.outcome),
                                    dispatch_uid="test-sent-back", weak=False)
    try:
        case = submission(cmi_cert)
        advice_source.advise(case)
        decide(org_a, case, dana, outcome="back", reasons="Ask for the supervisor's statement.")
        with maintenance():
            assert services.cases_awaiting(org_a) == []
        advice_source.advise(case, "grant")  # the review app's new advice
        with maintenance():
            assert [found.submission.pk for found in services.cases_awaiting(org_a)] == [case.pk]
    finally:
        hooks.decision_recorded.disconnect(dispatch_uid="test-sent-back")
    assert received == ["back"]


def test_reasons_are_required(org_a, alice, dana, cmi_cert, advice_source):
    case = submission(cmi_cert)
    advice_source.advise(case)
    with pytest.raises(ValidationError) as missing:
        decide(org_a, case, dana, reasons="  ")
    assert "reasons" in missing.value.message_dict


def test_the_professional_is_told_in_their_language_with_the_reasons(org_a, alice, dana, cmi_cert, advice_source,
                                                                     mailoutbox, django_capture_on_commit_callbacks):
    with maintenance():
        alice.preferred_language = "nl"
        alice.save()
    case = submission(cmi_cert)
    advice_source.advise(case, "refuse")
    with django_capture_on_commit_callbacks(execute=True):
        decide(org_a, case, dana, outcome="refuse", reasons="Het reflectieverslag ontbreekt.",
               today=dt.date(2026, 5, 1))
    mail = mailoutbox[-1]
    assert mail.to == ["alice@example.com"]
    assert "Besluit" in mail.subject
    assert "Het reflectieverslag ontbreekt." in mail.body
    assert "bezwaar" in mail.body


def test_decision_pages(client, org_a, alice, dana, bob, cmi_cert, advice_source):
    case = submission(cmi_cert)
    advice_source.advise(case, assessors=[bob])
    client.force_login(dana)
    queue = client.get(reverse("decision_queue", kwargs={"org": org_a.slug}))
    assert queue.status_code == 200
    assert "CMI-0001" in queue.content.decode()
    url = reverse("case_detail", kwargs={"org": org_a.slug, "pk": case.pk})
    page = client.get(url).content.decode()
    assert "The dossier meets the norm." in page
    assert "Peer meeting" in page
    rejected = client.post(url, {"outcome": "grant", "reasons": ""})
    assert rejected.status_code == 422
    done = client.post(url, {"outcome": "grant", "reasons": "Meets the norm.", "starts_on": "2026-06-01"})
    assert done.status_code == 302
    assert reload(cmi_cert).expires_on == dt.date(2029, 6, 1)
    client.force_login(alice)
    assert client.get(reverse("decision_queue", kwargs={"org": org_a.slug})).status_code == 403


def test_the_queue_answers_in_constant_queries(client, org_a, alice, dana, advice_source,
                                               django_assert_max_num_queries):
    def add(count):
        with maintenance():
            for _ in range(count):
                number = Certification.objects.filter(organisation=org_a).count()
                holder = factories.member(org_a, f"p{number}@example.com", "professional")
                certification = factories.certification(org_a, holder, number=f"N-{number}")
                advice_source.advise(submission(certification))

    client.force_login(dana)
    url = reverse("decision_queue", kwargs={"org": org_a.slug})
    add(1)
    client.get(url)
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    add(11)
    with django_assert_max_num_queries(len(one)) as twelve:
        response = client.get(url)
    assert response.content.decode().count("N-") >= 12
    assert len(twelve) == len(one)


def test_a_peoplecert_grant_extends_the_series_only_when_three_compliant_years_are_in(org_a, alice, dana,
                                                                                     advice_source):
    from decimal import Decimal

    today = dt.date.today()
    exam = today.replace(year=today.year - 3) - dt.timedelta(days=20)
    expiry = exam.replace(year=exam.year + 3)
    with maintenance():
        certification = factories.certification(org_a, alice, "peoplecert-cpd", number="ITIL-F", exam_passed_on=exam,
                                                expires_on=expiry, product_series="itil-4")
        services.certificate_ensure(certification)
    first = submission(certification)
    advice_source.advise(first)
    decide(org_a, first, dana)
    assert reload(certification).expires_on == expiry  # no compliant years yet: granted, nothing moves
    with maintenance():
        assert Certificate.objects.get(certification=certification).revision == 1
        for offset in range(3):
            start = exam.replace(year=exam.year + offset)
            factories.activity(org_a, alice, "mentoring", start + dt.timedelta(days=30), Decimal(6))
            factories.activity(org_a, alice, "in-house-training", start + dt.timedelta(days=60), Decimal(15))
    second = submission(certification)
    advice_source.advise(second)
    decision = decide(org_a, second, dana)
    assert reload(certification).expires_on == expiry.replace(year=expiry.year + 3)
    with maintenance():
        event = CertificateEvent.objects.get(certification=certification, kind="extended")
        assert event.decision == decision
        assert Certificate.objects.get(certification=certification).revision == 2
        record = services.accreditation_record(org_a)
    assert record[0]["recertifications"] == 2  # the two grants; the extension is counted with its grant
