"""The dashboard's kept reports (portfolios/kept_reports.py): after any sequence of writes, what the dashboard
shows equals a fresh evaluation, and a report is evaluated at most once per change."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.tenancy import tenant_context
from dossiers.models import Evidence
from portfolios import kept_reports, reports
from portfolios.models import Activity, Certification, KeptReport
from schemes.models import SchemeVersion
from schemes.services import scheme_version_save
from tests import factories

TYPES = ["course", "workshop", "congress", "book-read", "podcast", "peer-meeting", "volunteering", "lecture"]
START = dt.date(2025, 3, 1)
days = st.integers(min_value=-900, max_value=200)

writes = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(TYPES), days, st.integers(min_value=1, max_value=12)),
    st.tuples(st.just("edit"), st.integers(min_value=0, max_value=20), st.sampled_from(TYPES), days,
              st.integers(min_value=1, max_value=12)),
    st.tuples(st.just("delete"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("evidence"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("evidence-delete"), st.integers(min_value=0, max_value=20)),
    st.tuples(st.just("dates"), st.integers(min_value=-400, max_value=800)),
    st.tuples(st.just("version"), st.integers(min_value=1, max_value=60), st.integers(min_value=-30, max_value=30),
              st.booleans()),
    st.tuples(st.just("today"), st.integers(min_value=0, max_value=400)),
)


def fresh(organisation, holder, today) -> list[dict]:
    """Every summary evaluated from scratch: rows read again, nothing kept consulted."""
    certifications = list(Certification.objects.for_organisation(organisation).filter(holder=holder)
                          .exclude(status=Certification.Status.WITHDRAWN).order_by("number"))
    in_force = SchemeVersion.objects.for_organisation(organisation).in_force(
        today, codes={c.scheme_version.code for c in certifications})
    activities = reports.owner_activities(organisation, holder)
    return [kept_reports.evaluate(c, in_force.get(c.scheme_version.code, c.scheme_version).rules, activities, today)
            for c in certifications]


def apply(write: tuple, organisation, holder, certification, state: dict) -> None:
    kind, *args = write
    activities = list(Activity.objects.for_organisation(organisation).filter(owner=holder).order_by("pk"))
    if kind == "add":
        kind_code, offset, quantity = args
        factories.activity(organisation, holder, kind_code, START + dt.timedelta(days=offset), quantity)
    elif kind == "edit" and activities:
        index, kind_code, offset, quantity = args
        activity = activities[index % len(activities)]
        activity.type_code, activity.date = kind_code, START + dt.timedelta(days=offset)
        activity.quantity = Decimal(quantity)
        activity.save()
    elif kind == "delete" and activities:
        activities[args[0] % len(activities)].delete()
    elif kind == "evidence" and activities:
        Evidence.objects.create(organisation=organisation, owner=holder, activity=activities[args[0] % len(activities)],
                                file="evidence/x.pdf", original_name="x.pdf", content_type="application/pdf",
                                size=9, sha256="0" * 64)
    elif kind == "evidence-delete":
        evidence = list(Evidence.objects.for_organisation(organisation).filter(owner=holder).order_by("pk"))
        if evidence:
            evidence[args[0] % len(evidence)].delete()
    elif kind == "dates":
        certification.refresh_from_db()
        certification.recertification_date = dt.date(2026, 6, 1) + dt.timedelta(days=args[0])
        certification.save()
    elif kind == "version":
        maximum, offset, move = args
        latest = SchemeVersion.objects.for_organisation(organisation).filter(
            code=certification.scheme_version.code).order_by("-version").first()
        assert latest is not None
        data = latest.definition | {"categories": [
            {**c, "max": str(maximum)} if c.get("max") is not None else c for c in latest.definition["categories"]]}
        effective = max(latest.effective_from, state["today"] + dt.timedelta(days=offset))
        version = scheme_version_save(organisation=organisation, data=data, by=holder, source="edited",
                                      effective_from=effective, based_on=latest)
        if move:  # the certification itself moves to the new version
            certification.refresh_from_db()
            certification.scheme_version = version
            certification.save()
    elif kind == "today":
        state["today"] += dt.timedelta(days=args[0])


@pytest.mark.django_db
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=st.lists(writes, max_size=8))
def test_after_any_writes_the_kept_report_equals_a_fresh_evaluation(org_a, sequence):
    with transaction.atomic():
        holder = factories.member(org_a, f"p{len(sequence)}-{abs(hash(tuple(sequence)))}@example.com", "professional")
        certification = factories.certification(org_a, holder)
        factories.certification(org_a, holder, "cmi-register-loopbaanprofessional")
        factories.activity(org_a, holder, "course", START, 4)
        state = {"today": dt.date(2025, 11, 22)}
        with tenant_context(org_a):
            for write in sequence:
                # Read (and so keep) before the write, then check after it: a kept report must never outlive its inputs.
                kept_reports.for_holder(org_a, holder, state["today"])
                apply(write, org_a, holder, certification, state)
                kept = [summary for _c, _v, summary in kept_reports.for_holder(org_a, holder, state["today"])]
                assert kept == fresh(org_a, holder, state["today"]), write
                # Read again: now from the kept rows, which must say the same.
                again = [summary for _c, _v, summary in kept_reports.for_holder(org_a, holder, state["today"])]
                assert again == kept
        transaction.set_rollback(True)


def test_a_report_is_evaluated_once_per_change(org_a, alice, monkeypatch):
    factories.certification(org_a, alice)
    factories.activity(org_a, alice, "course", START, 4)
    calls: list[int] = []
    evaluate = kept_reports.evaluate
    def counting(*args):
        calls.append(1)
        return evaluate(*args)

    monkeypatch.setattr(kept_reports, "evaluate", counting)
    today = dt.date(2025, 11, 22)
    with tenant_context(org_a):
        for _ in range(3):
            kept_reports.for_holder(org_a, alice, today)
        assert len(calls) == 1
        factories.activity(org_a, alice, "workshop", START, 2)
        kept_reports.for_holder(org_a, alice, today)
        kept_reports.for_holder(org_a, alice, today)
        assert len(calls) == 2
        kept_reports.for_holder(org_a, alice, today + dt.timedelta(days=1))  # a new day is a new evaluation
        assert len(calls) == 3
        assert KeptReport.objects.for_organisation(org_a).count() == 1


def test_the_kept_summary_is_worded_in_the_readers_language(client, org_a, alice):
    factories.certification(org_a, alice)
    factories.activity(org_a, alice, "course", START, 4)
    client.force_login(alice)
    english = client.get(reverse("org_home", kwargs={"org": org_a.slug})).content.decode()
    dutch = client.get(reverse("org_home", kwargs={"org": org_a.slug}), headers={"accept-language": "nl"})
    assert "counted" in english
    assert "geteld" in dutch.content.decode()


def test_kept_reports_stay_in_their_organisation(org_a, org_b, alice, charlie):
    factories.certification(org_a, alice)
    factories.certification(org_b, charlie)
    today = dt.date(2025, 11, 22)
    with tenant_context(org_a):
        kept_reports.for_holder(org_a, alice, today)
    with tenant_context(org_b):
        kept_reports.for_holder(org_b, charlie, today)
        assert KeptReport.objects.for_organisation(org_b).count() == 1
        assert set(KeptReport.objects.for_organisation(org_b).values_list("organisation_id", flat=True)) == {org_b.pk}
