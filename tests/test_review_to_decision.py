"""The review's advice reaches the certifying body (issue 10 "the advice", issue 11 "the decision"): review
registers its advice source with certificates, so a case advised by its two CMI assessors waits in the decision
queue; an assessor of the case may not decide it; an uninvolved decision maker grants, and the certificate is
renewed by the scheme's rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.tenancy import maintenance
from certificates import services as certificate_services
from certificates.models import Decision
from portfolios.models import Certification
from review import services as review_services
from review.models import ReviewCase
from tests import factories
from tests.review_helpers import case_of, submitted
from tests.test_review import ALL_MEET, cast, declared, judge  # noqa: F401 - cast is a fixture

CMI = "cmi-register-loopbaanprofessional"


def test_an_advice_from_review_is_decided_by_someone_who_did_not_assess_it(client, org_a, alice, cast,  # noqa: F811
                                                                          django_capture_on_commit_callbacks):
    certification = factories.certification(org_a, alice, CMI, number="CMI-7", recertification_date=dt.date(2027, 6, 1),
                                            expires_on=dt.date(2027, 6, 1), issued_on=dt.date(2024, 6, 1))
    case = case_of(submitted(org_a, alice, certification=certification))
    first, second = declared(case)
    judge(first, ALL_MEET)
    with django_capture_on_commit_callbacks(execute=True):
        judge(second, ALL_MEET)
    with maintenance():
        review_services.advice_send(case=case_of(case.submission), by=first.assessor, outcome="positive",
                                    summary="Meets every requirement.")
        assert case_of(case.submission).state == ReviewCase.State.ADVICE_GIVEN
    dana = factories.member(org_a, "dana@example.com", "decision_maker", first_name="Dana")

    # The certifying body's queue shows the case with the review's advice, and the assessor may not decide it.
    with maintenance():
        awaiting = certificate_services.cases_awaiting(org_a)
        assert [item.submission.pk for item in awaiting] == [case.submission_id]
        assert awaiting[0].advice is not None
        assert awaiting[0].advice.outcome == "grant"
        assert {first.assessor.get_full_name(), second.assessor.get_full_name()} <= set(awaiting[0].advice.assessors)
        assert certificate_services.decision_problems(awaiting[0], first.assessor) is not None
        assert certificate_services.decision_problems(awaiting[0], dana) is None
    client.force_login(dana)
    page = client.get(reverse("decision_queue", kwargs={"org": org_a.slug})).content.decode()
    assert "CMI-7" in page

    # An assessor of the case is refused; the decision maker grants, and the certificate moves by the rule.
    with maintenance():
        with pytest.raises(ValidationError):
            certificate_services.decision_record(organisation=org_a, submission_id=case.submission_id,
                                                 by=first.assessor, outcome="grant", reasons="Mine.")
        assert not Decision.objects.for_organisation(org_a).exists()
        certificate_services.decision_record(organisation=org_a, submission_id=case.submission_id, by=dana,
                                             outcome="grant", reasons="The advice is well founded.",
                                             today=dt.date(2027, 5, 1))
        renewed = Certification.objects.get(pk=certification.pk)
    assert renewed.expires_on == dt.date(2030, 6, 1)  # CMI: three years from the previous expiry
