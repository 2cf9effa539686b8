"""Appeals (issue 11 item 7) and the accreditation record (item 8): a refused candidate appeals within the scheme's
window with grounds and files; decision makers who took no part hear it; it does not suspend the decision; the
outcome is recorded and told; the record counts it all per year."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from certificates import services
from certificates.models import Appeal, Decision
from portfolios.models import Certification
from tests import factories
from tests.certificates_helpers import submission

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def people(org_a):
    return {
        "dana": factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana"),
        "erin": factories.member(org_a, "erin@example.com", "decision_maker", first_name="Erin"),
        "ash": factories.member(org_a, "ash@example.com", "assessor", "decision_maker", first_name="Ash"),
    }


@pytest.fixture
def refusal(org_a, alice, people, advice_source):
    with maintenance():
        certification = factories.certification(org_a, alice, recertification_date=dt.date.today()
                                                + dt.timedelta(days=100), number="NOLOC-7")
    case = submission(certification)
    advice_source.advise(case, "refuse", assessors=[people["ash"]])
    with maintenance():
        return services.decision_record(organisation=org_a, submission_id=case.pk, by=people["dana"],
                                        outcome="refuse", reasons="A3.2 does not refer to the profile.")


def file_appeal(decision, alice, **kwargs):
    with maintenance():
        return services.appeal_file(decision=decision, by=alice, grounds="The report refers to part 3.",
                                    files=[SimpleUploadedFile("letter.pdf", PDF, "application/pdf")], **kwargs)


def test_appeal_upheld_by_someone_not_involved_returns_the_case(org_a, alice, people, refusal, mailoutbox,
                                                               django_capture_on_commit_callbacks):
    appeal = file_appeal(refusal, alice)
    assert appeal.files.count() == 1
    # It does not suspend the decision: the refusal stands while the appeal is heard.
    with maintenance():
        assert Decision.objects.get(pk=refusal.pk).outcome == "refuse"
        assert services.cases_awaiting(org_a) == []
    for involved, why in ((people["dana"], "took the decision"), (people["ash"], "took part")):
        with maintenance(), pytest.raises(ValidationError, match=why):
            services.appeal_decide(appeal=appeal, by=involved, outcome="upheld", reasons="x")
    with django_capture_on_commit_callbacks(execute=True), maintenance():
        services.appeal_decide(appeal=appeal, by=people["erin"], outcome="upheld",
                               reasons="The report does refer to the profile.")
        decided = Appeal.objects.get(pk=appeal.pk)
        assert (decided.status, decided.handled_by) == ("upheld", people["erin"])
        assert [case.submission.pk for case in services.cases_awaiting(org_a)] == [refusal.submission_id]
        actions = list(AuditEvent.objects.filter(organisation=org_a, action__startswith="appeal.")
                       .values_list("action", flat=True))
    assert sorted(actions) == ["appeal.decide", "appeal.file"]
    assert "upheld" in mailoutbox[-1].body
    with maintenance(), pytest.raises(ValidationError, match="already been decided"):
        services.appeal_decide(appeal=appeal, by=people["erin"], outcome="dismissed", reasons="x")


def test_appeal_dismissed_leaves_the_refusal(org_a, alice, people, refusal):
    appeal = file_appeal(refusal, alice)
    with maintenance():
        services.appeal_decide(appeal=appeal, by=people["erin"], outcome="dismissed", reasons="The refusal stands.")
        assert services.cases_awaiting(org_a) == []


def test_appeals_only_against_refusals_by_the_candidate_within_the_window(org_a, alice, bob, refusal):
    with maintenance(), pytest.raises(ValidationError, match="Only the candidate"):
        services.appeal_file(decision=refusal, by=bob, grounds="x", files=[])
    late = timezone.localdate() + dt.timedelta(days=31)
    with maintenance(), pytest.raises(ValidationError, match="time to appeal ended"):
        services.appeal_file(decision=refusal, by=alice, grounds="x", files=[], today=late)
    with maintenance(), pytest.raises(ValidationError) as no_grounds:
        services.appeal_file(decision=refusal, by=alice, grounds=" ", files=[])
    assert "grounds" in no_grounds.value.message_dict
    with maintenance(), pytest.raises(ValidationError) as bad_file:
        services.appeal_file(decision=refusal, by=alice, grounds="x",
                             files=[SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>", "application/pdf")])
    assert "files" in bad_file.value.message_dict
    file_appeal(refusal, alice)
    with maintenance(), pytest.raises(ValidationError, match="already been filed"):
        file_appeal(refusal, alice)


def test_appeal_pages(client, org_a, alice, bob, people, refusal):
    client.force_login(alice)
    mine = client.get(reverse("my_certificates", kwargs={"org": org_a.slug})).content.decode()
    assert "A3.2 does not refer to the profile." in mine
    url = reverse("appeal_create", kwargs={"org": org_a.slug, "pk": refusal.pk})
    assert client.post(url, {"grounds": ""}).status_code == 422
    response = client.post(url, {"grounds": "It does refer to part 3.",
                                 "files": [SimpleUploadedFile("a.pdf", PDF, "application/pdf")]})
    assert response.status_code == 302
    with maintenance():
        appeal = Appeal.objects.get(decision=refusal)
        stored = appeal.files.get()
    download = reverse("appeal_file_download", kwargs={"org": org_a.slug, "pk": appeal.pk, "file_pk": stored.pk})
    assert client.get(download).status_code == 200
    client.force_login(bob)
    assert client.get(download).status_code == 404
    client.force_login(people["dana"])
    detail = reverse("appeal_detail", kwargs={"org": org_a.slug, "pk": appeal.pk})
    assert "You took the decision appealed against" in client.get(detail).content.decode()
    assert client.post(detail, {"outcome": "upheld", "reasons": "x"}).status_code == 403
    client.force_login(people["erin"])
    assert "NOLOC-7" in client.get(reverse("appeal_list", kwargs={"org": org_a.slug})).content.decode()
    assert "It does refer to part 3." in client.get(detail).content.decode()
    assert client.post(detail, {"outcome": "dismissed", "reasons": "Stands."}).status_code == 302


def test_the_accreditation_record_counts_per_year_with_the_median_time(client, org_a, alice, people, refusal,
                                                                       advice_source):
    file_appeal(refusal, alice)
    with maintenance():
        appeal = Appeal.objects.get(decision=refusal)
        services.appeal_decide(appeal=appeal, by=people["erin"], outcome="upheld", reasons="Fine.")
        certification = Certification.objects.get(number="NOLOC-7")
        services.decision_record(organisation=org_a, submission_id=refusal.submission_id, by=people["erin"],
                                 outcome="grant", reasons="On appeal.")
        certificate = certification.certificate
        services.certificate_suspend(certificate=certificate, by=people["dana"], reason="Complaint",
                                     until=timezone.localdate() + dt.timedelta(days=5))
        services.certificate_withdraw(certificate=certificate, by=people["dana"], reason="Fraud")
        rows = services.accreditation_record(org_a)
    year = timezone.localdate().year
    assert rows == [{"year": year, "certifications": 0, "recertifications": 1, "refusals": 1, "sent_back": 0,
                     "suspensions": 1, "withdrawals": 1, "appeals": 1, "appeals_upheld": 1, "appeals_dismissed": 0,
                     "median_days": 10.0}]
    client.force_login(people["dana"])
    page = client.get(reverse("accreditation", kwargs={"org": org_a.slug}))
    assert page.status_code == 200
    exported = client.get(reverse("accreditation_csv", kwargs={"org": org_a.slug}))
    table = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0]["refusals"] == "1"
    assert table[0]["median_days"] == "10.0"
    client.force_login(alice)
    assert client.get(reverse("accreditation", kwargs={"org": org_a.slug})).status_code == 403
