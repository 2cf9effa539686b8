"""The engine's context error in one translated sentence (portfolios.reports.context_problem), wherever a
certification cannot be evaluated: the dashboard, the activity log, starting a dossier."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from portfolios import reports
from schemes import rules
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_sentence_names_the_field_in_the_current_language(org_a, alice):
    certification = factories.certification(org_a, alice, recertification_date=None, number="NL-9")
    error = rules.ContextError("The scheme needs recertification_date as a calendar date.",
                               field="recertification_date")
    assert reports.context_problem(certification, error) == (
        "Certificate NL-9 cannot be evaluated yet: “recertification date” is missing or does not fit its scheme. "
        "An administrator of your organisation can complete it.")
    with translation.override("nl"):
        assert reports.context_problem(certification, error).startswith(
            "Certificaat NL-9 kan nog niet worden doorgerekend: “recertificeringsdatum” ontbreekt")
    with translation.override("nb"):
        designation = rules.ContextError("Unknown designation", field="designation")
        assert "«betegnelse»" in reports.context_problem(certification, designation)
        assert "det mangler det ordningen trenger" in reports.context_problem(
            certification, rules.ContextError("Bad kind", field="dossier_kind"))


def test_the_dashboard_words_it_in_the_professionals_language(client, org_a, alice):
    alice.preferred_language = "nl"
    alice.save()
    factories.certification(org_a, alice, recertification_date=None, number="NL-9")
    client.force_login(alice)
    body = client.get(reverse("org_home", kwargs={"org": org_a.slug})).content.decode()
    assert "Certificaat NL-9 kan nog niet worden doorgerekend" in body
    assert "calendar date" not in body  # not the engine's English


def test_the_activity_log_and_starting_a_dossier_say_the_same(client, org_a, alice):
    certification = factories.certification(org_a, alice, recertification_date=None, number="NL-9")
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 2)
    client.force_login(alice)
    sentence = "Certificate NL-9 cannot be evaluated yet: “recertification date” is missing"
    assert sentence in client.get(reverse("activity_list", kwargs={"org": org_a.slug})).content.decode()
    started = client.post(reverse("dossier_start", kwargs={"org": org_a.slug, "certification": certification.pk}),
                          {"kind": "recertification"}, follow=True)
    assert sentence in started.content.decode()
