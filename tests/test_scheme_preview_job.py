"""The scheme-change preview as a background job (schemes/services.py, schemes/tasks.py): the request answers at
once, a Celery task evaluates the certifications in chunks and records its progress, the page polls it, and the
results are kept until the next edit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tenancy import maintenance, tenant_context
from portfolios.models import Activity, Certification
from schemes import rules, services
from schemes.models import SchemePreview
from schemes.services import scheme_adopt
from schemes.tasks import scheme_preview_run
from tests import factories
from tests.test_background import real_broker, wait_for, worker  # noqa: F401 - fixtures
from tests.test_schemes_admin import _form_data

NOLOC = "noloc-register-jobcoach"
AS_OF = dt.date(2025, 11, 22)


def proposal(version, societal_max: str) -> rules.SchemeDefinition:
    return rules.load_definition(version.definition | {"categories": [
        {**c, "max": societal_max} if c["code"] == "societal" else c for c in version.definition["categories"]]})


def professionals(org, version, count: int) -> None:
    """`count` certifications; every third holder has 31 course points and 14 societal ones (71 counted under the
    cap of 10, 75 under 20, of 75 required), the others a little of everything."""
    for i in range(count):
        holder = factories.member(org, f"p{i}@example.com", "professional")
        Certification.objects.create(organisation=org, holder=holder, scheme_version=version, number=f"N-{i:03}",
                                     recertification_date=dt.date(2027, 6, 1))
        rows = [("course", 31), ("peer-meeting", 15), ("volunteering", 7)] if i % 3 == 0 else [("course", 20)]
        Activity.objects.bulk_create([Activity(organisation=org, owner=holder, type_code=kind, date=dt.date(2025, 3, 1),
                                               quantity=Decimal(quantity), title="x") for kind, quantity in rows])


@pytest.fixture
def noloc_a(org_a, ada):
    return scheme_adopt(organisation=org_a, code=NOLOC, by=ada, effective_from=dt.date(2020, 1, 1))


def test_chunks_add_up_to_the_whole_preview_with_constant_queries(org_a, ada, noloc_a, monkeypatch):
    professionals(org_a, noloc_a, 10)
    proposed = proposal(noloc_a, "20")
    with tenant_context(org_a):
        whole = services.scheme_preview(organisation=org_a, code=NOLOC, proposed=proposed, as_of=AS_OF, size=1000)
        monkeypatch.setattr(services, "PREVIEW_CHUNK", 3)
        preview = services.scheme_preview_start(organisation=org_a, code=NOLOC, proposed=proposed, by=ada,
                                                as_of=AS_OF)
        assert (preview.status, preview.total, preview.done) == ("queued", 0, 0)
        progress, queries = [], []
        while True:
            with CaptureQueriesContext(connection) as captured:
                more = services.scheme_preview_step(organisation=org_a, preview_id=preview.pk, token=preview.token)
            preview.refresh_from_db()
            if not more:
                break
            queries.append(len(captured.captured_queries))
            progress.append((preview.done, preview.percent))
    assert progress == [(3, 30), (6, 60), (9, 90), (10, 99)]
    assert len(set(queries[1:])) == 1  # the same statements for every chunk, whatever it holds
    assert queries[0] == queries[1] + 1  # the first one also counts the certifications
    assert preview.status == "done"
    assert preview.percent == 100
    assert whole.evaluated == preview.evaluated == 10
    assert (whole.compliant_before, whole.compliant_after) == (preview.compliant_before, preview.compliant_after)
    assert len(whole.become_compliant) == preview.become_compliant_count == 4
    assert preview.become_compliant == whole.become_compliant == ["N-000", "N-003", "N-006", "N-009"]
    assert preview.become_non_compliant_count == 0
    assert preview.unchanged == 6


def test_a_newer_preview_replaces_the_older_and_stops_its_task(org_a, ada, noloc_a):
    professionals(org_a, noloc_a, 2)
    with tenant_context(org_a):
        first = services.scheme_preview_start(organisation=org_a, code=NOLOC, proposed=proposal(noloc_a, "20"),
                                              by=ada, as_of=AS_OF)
        again = services.scheme_preview_start(organisation=org_a, code=NOLOC, proposed=proposal(noloc_a, "20"),
                                              by=ada, as_of=AS_OF)
        assert again.pk == first.pk  # the same proposal is not computed twice
        second = services.scheme_preview_start(organisation=org_a, code=NOLOC, proposed=proposal(noloc_a, "30"),
                                               by=ada, as_of=AS_OF)
    assert scheme_preview_run(org_a.pk, first.pk, first.token) == 0  # replaced: nothing to do
    assert scheme_preview_run(org_a.pk, second.pk, second.token) == 1
    assert list(SchemePreview.objects.filter(organisation=org_a).values_list("pk", "status")) == [(second.pk, "done")]


@pytest.mark.django_db(transaction=True)
def test_the_real_worker_computes_the_preview_the_page_polls(client, worker, org_a, ada, monkeypatch):  # noqa: F811
    with maintenance():  # test data in a transactional test
        version = scheme_adopt(organisation=org_a, code=NOLOC, by=ada, effective_from=dt.date(2020, 1, 1))
        professionals(org_a, version, 7)
    monkeypatch.setattr(services, "PREVIEW_CHUNK", 2)
    client.force_login(ada)
    edit = reverse("scheme_edit", kwargs={"org": org_a.slug, "code": NOLOC})
    index = next(i for i, c in enumerate(version.definition["categories"]) if c["code"] == "societal")
    form = _form_data(version.definition, **{f"categories[{index}].max": "20", "effective_from": "2027-01-01",
                                             "action": "preview"})
    answered = client.post(edit, form, headers={"HX-Request": "true"})
    assert answered.status_code == 200
    with maintenance():
        preview = SchemePreview.objects.get(organisation=org_a, code=NOLOC)
    poll = reverse("scheme_preview", kwargs={"org": org_a.slug, "code": NOLOC, "pk": preview.pk})
    assert f'hx-get="{poll}"' in answered.content.decode()
    assert wait_for(lambda: maintenance_get(preview.pk).status == "done", 30)
    preview = maintenance_get(preview.pk)
    assert (preview.done, preview.total, preview.evaluated) == (7, 7, 7)
    shown = client.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert "3 would become compliant" in shown
    assert "N-000, N-003, N-006" in shown
    assert "hx-trigger" not in shown


def maintenance_get(pk: int) -> SchemePreview:
    with maintenance():
        return SchemePreview.objects.get(pk=pk)
