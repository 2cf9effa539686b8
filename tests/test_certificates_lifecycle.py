"""Suspension, withdrawal, reinstatement, re-issue, the daily lapse and the PeopleCert series extension (issue 11
items 2, 3 and 6): each change a history entry and an audit event, each happening exactly once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from certificates import services
from certificates.models import Certificate, CertificateEvent, SeriesExtension
from certificates.tasks import daily_scan
from portfolios.models import Certification
from tests import factories

pytestmark = pytest.mark.django_db
TODAY = dt.date.today()


@pytest.fixture
def dana(org_a):
    return factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")


def certificate(org, holder, code="noloc-register-jobcoach", **fields):
    with maintenance():
        fields.setdefault("expires_on", TODAY + dt.timedelta(days=300))
        fields.setdefault("recertification_date", fields["expires_on"])
        certification = factories.certification(org, holder, code, **fields)
        found, _created = services.certificate_ensure(certification)
        return Certificate.objects.select_related("certification__holder", "certification__scheme_version",
                                                  "certification__organisation").get(pk=found.pk)


def status(item):
    with maintenance():
        return Certification.objects.get(pk=item.certification_id).status


def kinds(item):
    with maintenance():
        return list(CertificateEvent.objects.filter(certification_id=item.certification_id).order_by("at", "id")
                    .values_list("kind", flat=True))


def test_suspension_needs_a_reason_and_an_end_date_in_the_future(org_a, alice, dana):
    item = certificate(org_a, alice)
    with maintenance(), pytest.raises(ValidationError) as refused:
        services.certificate_suspend(certificate=item, by=dana, reason="", until=None)
    assert set(refused.value.message_dict) == {"reason", "until"}
    with maintenance(), pytest.raises(ValidationError) as past:
        services.certificate_suspend(certificate=item, by=dana, reason="Complaint", until=TODAY)
    assert "until" in past.value.message_dict
    assert status(item) == "active"


def test_suspend_then_reinstate_by_hand(org_a, alice, dana, mailoutbox, django_capture_on_commit_callbacks):
    item = certificate(org_a, alice)
    with django_capture_on_commit_callbacks(execute=True), maintenance():
        services.certificate_suspend(certificate=item, by=dana, reason="A complaint is investigated.",
                                     until=TODAY + dt.timedelta(days=30))
    assert status(item) == "suspended"
    assert "suspended" in mailoutbox[-1].subject
    assert "A complaint is investigated." in mailoutbox[-1].body
    with maintenance(), pytest.raises(ValidationError):
        services.certificate_suspend(certificate=item, by=dana, reason="Again", until=TODAY + dt.timedelta(days=3))
    with maintenance(), pytest.raises(ValidationError):
        services.certificate_reinstate(certificate=item, by=dana, reason="")
    with maintenance():
        services.certificate_reinstate(certificate=item, by=dana, reason="The complaint was unfounded.")
    assert status(item) == "active"
    assert kinds(item) == ["suspended", "reinstated"]
    with maintenance():
        actions = set(AuditEvent.objects.filter(organisation=org_a).values_list("action", flat=True))
        assert {"certificate.suspend", "certificate.reinstate"} <= actions
        assert Certificate.objects.get(pk=item.pk).suspended_until is None


def test_withdrawal_is_final(org_a, alice, dana):
    item = certificate(org_a, alice)
    with maintenance():
        services.certificate_withdraw(certificate=item, by=dana, reason="Fraud established.")
    assert status(item) == "withdrawn"
    with maintenance(), pytest.raises(ValidationError):
        services.certificate_withdraw(certificate=item, by=dana, reason="Again")
    with maintenance(), pytest.raises(ValidationError):
        services.certificate_reinstate(certificate=item, by=dana, reason="Try")


def test_reissue_after_a_name_change_keeps_number_and_code(org_a, alice, dana):
    item = certificate(org_a, alice)
    code, number, revision = item.code, item.certification.number, item.revision
    with maintenance(), pytest.raises(ValidationError, match="already carries"):
        services.certificate_reissue(certificate=item, by=dana, reason="Name change")
    with maintenance():
        alice.last_name = "Married-Name"
        alice.save()
        services.certificate_reissue(certificate=item, by=dana, reason="Name change after marriage")
        again = Certificate.objects.get(pk=item.pk)
        event = CertificateEvent.objects.get(certification_id=item.certification_id, kind="reissued")
    assert again.holder_name == "Alice Married-Name"
    assert again.code == code
    assert again.certification.number == number
    assert again.revision == revision + 1
    assert event.data["name"] == ["Alice Person", "Alice Married-Name"]
    assert event.reason == "Name change after marriage"


def test_the_daily_task_lapses_and_reinstates_each_exactly_once(org_a, alice, dana, bob):
    expired = certificate(org_a, alice, expires_on=TODAY - dt.timedelta(days=1))
    valid_today = certificate(org_a, bob, expires_on=TODAY, number="ACME-LAST-DAY")
    carol = factories.member(org_a, "carol@example.com", "professional", first_name="Carol")
    suspended = certificate(org_a, carol, number="ACME-SUSP")
    with maintenance():
        services.certificate_suspend(certificate=suspended, by=dana, reason="Investigation",
                                     until=TODAY + dt.timedelta(days=2))
    first = daily_scan(today=TODAY)
    assert first["lapsed"] == 1
    assert first["reinstated"] == 0
    assert status(expired) == "lapsed"
    assert status(valid_today) == "active"  # valid through its expiry day
    later = daily_scan(today=TODAY + dt.timedelta(days=3))
    assert later["reinstated"] == 1
    assert status(suspended) == "active"
    assert daily_scan(today=TODAY + dt.timedelta(days=3)) == {"extended": 0, "lapsed": 0, "reinstated": 0}
    assert kinds(expired) == ["lapsed"]
    assert kinds(suspended) == ["suspended", "reinstated"]


def test_a_missed_ccmg_cycle_puts_membership_at_risk(org_a, alice, mailoutbox, django_capture_on_commit_callbacks):
    item = certificate(org_a, alice, "ccmg-cpd", cycle_start=dt.date(2022, 1, 1),
                       expires_on=TODAY - dt.timedelta(days=2), recertification_date=None)
    with django_capture_on_commit_callbacks(execute=True):
        daily_scan(today=TODAY)
    assert status(item) == "lapsed"
    assert kinds(item) == ["membership_at_risk"]
    assert "membership at risk" in mailoutbox[-1].body


def _compliant_years(org, owner, exam: dt.date, years: int) -> None:
    for offset in range(years):
        start = exam.replace(year=exam.year + offset)
        factories.activity(org, owner, "mentoring", start + dt.timedelta(days=30), Decimal(6))
        factories.activity(org, owner, "in-house-training", start + dt.timedelta(days=60), Decimal(15))


def test_peoplecert_three_compliant_years_extend_every_certificate_of_the_series_once(org_a, alice):
    exam = TODAY.replace(year=TODAY.year - 3) - dt.timedelta(days=20)
    expiry = exam.replace(year=exam.year + 3)
    with maintenance():
        itil = certificate(org_a, alice, "peoplecert-cpd", exam_passed_on=exam, expires_on=expiry,
                           recertification_date=None, number="ITIL-F", product_series="itil-4")
        itil_practitioner = certificate(org_a, alice, "peoplecert-cpd", exam_passed_on=exam + dt.timedelta(days=90),
                                        expires_on=expiry + dt.timedelta(days=90), recertification_date=None,
                                        number="ITIL-P", product_series="itil-4")
        prince = certificate(org_a, alice, "peoplecert-cpd", exam_passed_on=exam, expires_on=expiry,
                             recertification_date=None, number="PRINCE2-F", product_series="prince2")
        _compliant_years(org_a, alice, exam, 3)
    result = daily_scan(today=TODAY)
    assert result["extended"] == 2  # one claim per product series
    with maintenance():
        dates = dict(Certification.objects.filter(organisation=org_a).values_list("number", "expires_on"))
    assert dates["ITIL-F"] == expiry.replace(year=expiry.year + 3)
    practitioner_expiry = expiry + dt.timedelta(days=90)
    assert dates["ITIL-P"] == practitioner_expiry.replace(year=practitioner_expiry.year + 3)
    # PRINCE2 is a series of its own (the same activities count there too): extended under its own claim.
    assert dates["PRINCE2-F"] == expiry.replace(year=expiry.year + 3)
    assert daily_scan(today=TODAY)["extended"] == 0
    with maintenance():
        assert SeriesExtension.objects.filter(organisation=org_a, product_series="itil-4").count() == 1
        assert Certification.objects.get(number="ITIL-F").expires_on == dates["ITIL-F"]
    assert kinds(itil) == ["extended"]
    assert kinds(itil_practitioner) == ["extended"]
    assert kinds(prince) == ["extended"]


def test_certificate_pages_and_actions(client, org_a, alice, dana, ada):
    item = certificate(org_a, alice)
    client.force_login(dana)
    listing = client.get(reverse("certificate_list", kwargs={"org": org_a.slug}), {"q": "Alice"})
    assert item.certification.number in listing.content.decode()
    detail = client.get(reverse("certificate_detail", kwargs={"org": org_a.slug, "pk": item.pk}))
    assert item.code in detail.content.decode()
    url = reverse("certificate_action", kwargs={"org": org_a.slug, "pk": item.pk, "action": "suspend"})
    asks = client.get(url)
    assert asks.status_code == 200
    assert status(item) == "active"  # the page asks first
    rejected = client.post(url, {"reason": "", "until": ""})
    assert rejected.status_code == 422
    assert "Give the date the suspension ends." in rejected.content.decode()
    done = client.post(url, {"reason": "Complaint", "until": (TODAY + dt.timedelta(days=9)).isoformat()})
    assert done.status_code == 302
    assert status(item) == "suspended"
    # Administrators see the record but do not act: decision makers do.
    client.force_login(ada)
    assert client.get(reverse("certificate_detail", kwargs={"org": org_a.slug, "pk": item.pk})).status_code == 200
    assert client.post(url, {"reason": "x", "until": "2099-01-01"}).status_code == 403
    client.force_login(alice)
    assert client.get(reverse("certificate_list", kwargs={"org": org_a.slug})).status_code == 403


def test_certificate_list_in_constant_queries(client, org_a, dana, django_assert_max_num_queries):
    def add(count):
        for _ in range(count):
            number = Certificate.objects.filter(organisation=org_a).count()
            holder = factories.member(org_a, f"h{number}@example.com", "professional")
            certificate(org_a, holder, number=f"L-{number}")

    client.force_login(dana)
    url = reverse("certificate_list", kwargs={"org": org_a.slug})
    with maintenance():
        add(1)
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    with maintenance():
        add(20)
    with django_assert_max_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count("L-") == 21
