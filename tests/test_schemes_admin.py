"""Scheme versions per organisation: adopt, edit with preview, save, export, import, validation."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from portfolios.models import Activity, Certification
from schemes import rules
from schemes.models import SchemePreview, SchemeVersion
from schemes.services import scheme_adopt

pytestmark = pytest.mark.django_db
NOLOC = "noloc-register-jobcoach"


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def noloc_a(org_a, ada):
    return scheme_adopt(organisation=org_a, code=NOLOC, by=ada, effective_from=dt.date(2026, 1, 1))


def societal_index(definition: dict) -> int:
    return next(i for i, c in enumerate(definition["categories"]) if c["code"] == "societal")


@pytest.mark.parametrize("name", ["scheme_list", "scheme_import"])
def test_scheme_pages_are_for_administrators_only(client, org_a, alice, name):
    client.force_login(alice)
    assert client.get(url(name, org_a)).status_code == 403


def test_adopt_a_shipped_scheme(client, org_a, ada):
    client.force_login(ada)
    page = client.get(url("scheme_list", org_a)).content.decode()
    assert "Noloc Register Jobcoach" in page
    response = client.post(url("scheme_adopt", org_a), {"code": NOLOC, "effective_from": "2026-01-01"})
    assert response.status_code == 302
    version = SchemeVersion.objects.get(organisation=org_a, code=NOLOC)
    assert version.version == 1
    assert version.source == SchemeVersion.Source.SHIPPED
    assert version.rules.code == NOLOC
    detail = client.get(url("scheme_detail", org_a, code=NOLOC)).content.decode()
    assert "Conflict in the source" in detail  # the A2 exemption note is shown to administrators
    again = client.post(url("scheme_adopt", org_a), {"code": NOLOC, "effective_from": "2026-01-01"}, follow=True)
    assert "already adopted" in again.content.decode()


def _form_data(definition: dict, **overrides: str) -> dict:
    from schemes.editor import editable_groups

    data = {item.path: item.display_value for group in editable_groups(definition) for item in group.fields}
    data.update(overrides)
    return data


def test_edit_preview_and_save_a_new_version(client, org_a, ada, alice, noloc_a,
                                             django_capture_on_commit_callbacks):
    # Alice has 31 + 30 + 14 societal points: with the cat-6 cap of 10 she counts 71, with a cap of 20 75.
    Certification.objects.create(organisation=org_a, holder=alice, scheme_version=noloc_a, number="NL-1",
                                 recertification_date=dt.date(2027, 6, 1))
    Activity.objects.create(organisation=org_a, owner=alice, type_code="course", date=dt.date(2025, 3, 1),
                            quantity=Decimal("31"), title="Course")
    Activity.objects.create(organisation=org_a, owner=alice, type_code="peer-meeting", date=dt.date(2025, 4, 1),
                            quantity=Decimal("15"), title="Intervision")
    Activity.objects.create(organisation=org_a, owner=alice, type_code="volunteering", date=dt.date(2025, 5, 1),
                            quantity=Decimal("7"), title="Volunteering")
    client.force_login(ada)
    index = societal_index(noloc_a.definition)
    page = client.get(url("scheme_edit", org_a, code=NOLOC))
    assert f'name="categories[{index}].max"' in page.content.decode()

    form = _form_data(noloc_a.definition, **{f"categories[{index}].max": "20", "effective_from": "2027-01-01",
                                             "change_note": "Board decision", "action": "preview"})
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued when the request commits
        preview = client.post(url("scheme_edit", org_a, code=NOLOC), form)
    body = preview.content.decode()
    assert preview.status_code == 200
    assert "Category “Other societal activities” · maximum" in body  # the diff names the change by its labels
    assert "categories[societal].max" not in body
    job = SchemePreview.objects.get(organisation=org_a, code=NOLOC)
    poll = url("scheme_preview", org_a, code=NOLOC, pk=job.pk)
    assert f'hx-get="{poll}"' in body
    assert 'role="progressbar"' in body
    # The task ran (in-process here: CELERY_TASK_ALWAYS_EAGER) after the commit; the poll shows its results.
    done = client.get(poll, headers={"HX-Request": "true"}).content.decode()
    assert "1 would become compliant" in done
    assert "hx-trigger" not in done  # finished: the polling stops
    assert "1 would become compliant" in client.get(poll).content.decode()  # the whole page without htmx
    assert "1 would become compliant" in client.post(url("scheme_edit", org_a, code=NOLOC), form).content.decode()
    assert SchemeVersion.objects.filter(organisation=org_a, code=NOLOC).count() == 1  # preview saves nothing

    htmx = client.post(url("scheme_edit", org_a, code=NOLOC), form, headers={"HX-Request": "true"})
    assert 'id="preview"' in htmx.content.decode()
    assert "<html" not in htmx.content.decode()

    form["action"] = "save"
    saved = client.post(url("scheme_edit", org_a, code=NOLOC), form)
    assert saved.status_code == 302
    v2 = SchemeVersion.objects.get(organisation=org_a, code=NOLOC, version=2)
    assert v2.effective_from == dt.date(2027, 1, 1)
    assert v2.definition["categories"][index]["max"] == "20"
    assert v2.based_on == noloc_a
    noloc_a.refresh_from_db()
    assert noloc_a.definition["categories"][index]["max"] == "10"  # old versions never change
    assert SchemeVersion.objects.for_organisation(org_a).current(NOLOC, on=dt.date(2026, 12, 31)) == noloc_a
    assert SchemeVersion.objects.for_organisation(org_a).current(NOLOC, on=dt.date(2027, 1, 1)) == v2
    assert AuditEvent.objects.filter(organisation=org_a, action="scheme.version").count() == 2
    assert not SchemePreview.objects.filter(organisation=org_a, code=NOLOC).exists()  # kept until the next edit


@pytest.mark.parametrize(("value", "message"), [("-5", "negative"), ("ten", "Enter a number")])
def test_bad_values_are_refused_on_their_field_and_nothing_is_saved(client, org_a, ada, noloc_a, value, message):
    client.force_login(ada)
    index = societal_index(noloc_a.definition)
    form = _form_data(noloc_a.definition, **{f"categories[{index}].max": value, "effective_from": "2027-01-01",
                                             "action": "save"})
    response = client.post(url("scheme_edit", org_a, code=NOLOC), form)
    body = response.content.decode()
    assert response.status_code == 422
    assert message.lower() in body.lower()
    assert f'value="{value}"' in body  # what was typed is kept
    assert SchemeVersion.objects.filter(organisation=org_a, code=NOLOC).count() == 1


def test_a_types_plausible_maximum_is_shown_with_its_default_and_edited(client, org_a, ada, noloc_a):
    client.force_login(ada)
    page = client.get(url("scheme_edit", org_a, code=NOLOC)).content.decode()
    assert 'name="activity_types.book-read.quantity_max"' in page
    assert "Empty: at most 100 (Books), the default for this unit." in page
    assert 'placeholder="1000"' in page  # a course in SBU
    # Saving the form unchanged changes nothing: the empty bounds are not written.
    unchanged = client.post(url("scheme_edit", org_a, code=NOLOC), _form_data(
        noloc_a.definition, effective_from="2027-01-01", action="preview"))
    assert unchanged.context["changes"] == []
    refused = client.post(url("scheme_edit", org_a, code=NOLOC), _form_data(noloc_a.definition, **{
        "activity_types.course.quantity_max": "0", "effective_from": "2027-01-01", "action": "save"}))
    assert refused.status_code == 422
    assert "Must be more than 0." in refused.content.decode()
    saved = client.post(url("scheme_edit", org_a, code=NOLOC), _form_data(noloc_a.definition, **{
        "activity_types.course.quantity_max": "40", "effective_from": "2027-01-01", "action": "save"}))
    assert saved.status_code == 302
    v2 = SchemeVersion.objects.get(organisation=org_a, code=NOLOC, version=2)
    assert v2.definition["activity_types"]["course"]["quantity_max"] == "40"
    assert "quantity_max" not in v2.definition["activity_types"]["book-read"]
    assert v2.rules.activity_types["course"].plausible_quantity == 40


def test_effective_date_before_the_latest_version_is_refused(client, org_a, ada, noloc_a):
    client.force_login(ada)
    form = _form_data(noloc_a.definition, effective_from="2025-06-01", action="save")
    response = client.post(url("scheme_edit", org_a, code=NOLOC), form, follow=True)
    assert "Choose a date on or after 2026-01-01" in response.content.decode()
    assert SchemeVersion.objects.filter(organisation=org_a, code=NOLOC).count() == 1


def test_json_editor_adds_an_activity_type(client, org_a, ada, noloc_a):
    client.force_login(ada)
    data = json.loads(json.dumps(noloc_a.definition))
    data["activity_types"]["mooc"] = {**data["activity_types"]["workshop"],
                                      "label": {"en": "MOOC", "nl": "MOOC", "nb": "MOOC"}}
    response = client.post(url("scheme_edit_json", org_a, code=NOLOC), {
        "definition": json.dumps(data), "effective_from": "2027-01-01", "action": "save"})
    assert response.status_code == 302
    assert "mooc" in SchemeVersion.objects.get(organisation=org_a, code=NOLOC, version=2).definition["activity_types"]


def test_json_editor_reports_path_and_reason(client, org_a, ada, noloc_a):
    client.force_login(ada)
    data = json.loads(json.dumps(noloc_a.definition))
    data["activity_types"]["course"]["formula"]["kind"] = "per_moon"
    response = client.post(url("scheme_edit_json", org_a, code=NOLOC), {
        "definition": json.dumps(data), "effective_from": "2027-01-01", "action": "save"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "activity_types.course.formula.kind" in body
    assert "per_moon" in body  # the textarea keeps what was typed
    malformed = client.post(url("scheme_edit_json", org_a, code=NOLOC), {
        "definition": '{"code": ', "effective_from": "2027-01-01", "action": "save"})
    assert "not valid JSON" in malformed.content.decode()
    assert SchemeVersion.objects.filter(organisation=org_a, code=NOLOC).count() == 1


def test_export_and_import_into_another_organisation(client, org_a, org_b, ada, charlie, noloc_a):
    client.force_login(ada)
    exported = client.get(url("scheme_export", org_a, code=NOLOC, version=1))
    assert exported["Content-Disposition"] == f'attachment; filename="{NOLOC}-v1.json"'
    document = json.loads(exported.content)
    assert rules.load_definition(document) == noloc_a.rules

    client.force_login(charlie)
    upload = SimpleUploadedFile("noloc.json", exported.content, content_type="application/json")
    checked = client.post(url("scheme_import", org_b), {"file": upload})
    assert checked.status_code == 200
    assert "will be added as version 1" in checked.content.decode()
    assert not SchemeVersion.objects.filter(organisation=org_b).exists()
    saved = client.post(url("scheme_import", org_b), {
        "action": "save", "definition": json.dumps(document), "effective_from": "2026-02-01"})
    assert saved.status_code == 302
    imported = SchemeVersion.objects.get(organisation=org_b, code=NOLOC)
    assert imported.source == SchemeVersion.Source.IMPORTED
    assert imported.rules == noloc_a.rules


def test_import_with_an_unknown_formula_changes_nothing(client, org_a, ada, noloc_a):
    client.force_login(ada)
    data = json.loads(json.dumps(noloc_a.definition))
    data["activity_types"]["article"]["formula"] = {"kind": "per_word", "unit": "articles", "factor": "1"}
    data["categories"][0]["max"] = "-3"
    upload = SimpleUploadedFile("bad.json", json.dumps(data).encode(), content_type="application/json")
    response = client.post(url("scheme_import", org_a), {"file": upload})
    body = response.content.decode()
    assert response.status_code == 422
    assert "activity_types.article.formula.kind" in body
    assert "categories[0].max" in body
    assert SchemeVersion.objects.filter(organisation=org_a).count() == 1
    garbage = SimpleUploadedFile("bad.json", b"\xff\xfe not json", content_type="application/json")
    response = client.post(url("scheme_import", org_a), {"file": garbage})
    assert "not UTF-8" in response.content.decode()


def test_scheme_list_queries_do_not_grow_with_versions(client, org_a, ada, noloc_a, django_assert_max_num_queries):
    client.force_login(ada)
    client.get(url("scheme_list", org_a))
    with django_assert_max_num_queries(20) as few:
        client.get(url("scheme_list", org_a))
    for code in ("peoplecert-cpd", "ccmg-cpd"):
        scheme_adopt(organisation=org_a, code=code, by=ada)
    with django_assert_max_num_queries(20) as more:
        client.get(url("scheme_list", org_a))
    assert len(few.captured_queries) == len(more.captured_queries)


def test_change_labels_name_items_and_fields_by_label():
    from schemes import editor, rules

    old = rules.shipped_definitions()["noloc-register-jobcoach"]
    new = json.loads(json.dumps(old))
    new["categories"][3]["max"] = "25"
    new["label"]["nl"] = "Nieuw"
    rows = editor.change_rows(old, new, rules.diff_definitions(old, new))
    assert [row.where for row in rows] == ["Name · NL", "Category “Contribution to the professional group” · maximum"]
    assert [(row.old, row.new) for row in rows] == [(old["label"]["nl"], "Nieuw"), ("30", "25")]


def test_definition_errors_in_the_active_language():
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from schemes import rules, services

    data = rules.shipped_definitions()["noloc-register-jobcoach"]
    data["categories"][5]["max"] = "-5"
    for language, expected in (("en", "Must not be negative (-5)."), ("nl", "Mag niet negatief zijn (-5)."),
                               ("nb", "Kan ikke være negativ (-5).")):
        with translation.override(language), pytest.raises(ValidationError) as caught:
            services.definition_validate(data)
        assert caught.value.message_dict == {"categories[5].max": [expected]}
