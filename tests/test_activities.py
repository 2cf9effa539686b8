"""The activity log: add/edit/duplicate/delete with the scheme's rules enforced and worded, the live preview,
the list (filters, sorting, search, pages, totals from the engine, constant queries) and the CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from dossiers.models import Dossier, Submission
from portfolios import reports
from portfolios.models import Activity
from portfolios.services import activities as services
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def form_data(**fields) -> dict[str, str]:
    data = {"type_code": "course", "quantity": "8", "date": "2025-03-01", "title": "Motivational interviewing",
            "provider": "Academy", "description": "", "reflection": ""}
    data.update({key: str(value) for key, value in fields.items()})
    return data


def lock(activity: Activity, org, owner) -> Activity:
    """Put the activity in a submitted dossier, as the submission workflow does."""
    with maintenance():
        certification = factories.certification(org, owner, number=f"LOCK-{activity.pk}")
        dossier = Dossier.objects.create(organisation=org, owner=owner, certification=certification,
                                         scheme_version=certification.scheme_version,
                                         reference_date=dt.date(2027, 6, 1), status=Dossier.Status.SUBMITTED)
        submission = Submission.objects.create(organisation=org, dossier=dossier, scheme_version=dossier.scheme_version,
                                               submitted_by=owner, submitted_at=timezone.now(), snapshot={},
                                               snapshot_sha256="0" * 64)
        activity.locked_by = submission
        activity.save(update_fields=["locked_by"])
    return activity


@pytest.fixture(autouse=True)
def _english():
    """Service calls outside a request word their messages in the active language: make it English."""
    with translation.override("en"):
        yield


@pytest.fixture
def noloc(org_a, alice):
    return factories.certification(org_a, alice, recertification_date=dt.date(2027, 6, 1), number="NL-1")


@pytest.fixture
def peoplecert(org_a, alice):
    return factories.certification(org_a, alice, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30), number="PC-1")


# --- access ------------------------------------------------------------------------------------------------

def test_the_wrong_role_gets_403(client, org_a, bob):
    client.force_login(bob)
    assert client.get(url("activity_list", org_a)).status_code == 403
    assert client.get(url("activity_create", org_a)).status_code == 403


def test_another_professional_and_another_organisation_get_404(client, org_a, org_b, alice, charlie, noloc):
    activity = factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 4)
    dave = factories.member(org_a, "dave@example.com", "professional")
    client.force_login(dave)
    for name in ("activity_edit", "activity_duplicate", "activity_delete"):
        assert client.get(url(name, org_a, pk=activity.pk)).status_code == 404, name
    assert client.post(url("activity_edit", org_a, pk=activity.pk), form_data()).status_code == 404
    client.force_login(charlie)
    assert client.get(url("activity_edit", org_a, pk=activity.pk)).status_code == 404
    assert client.get(url("activity_edit", org_b, pk=activity.pk)).status_code == 404
    response = client.post(url("activity_preview", org_b), {**form_data(), "replaces": activity.pk})
    assert response.status_code == 404
    activity.refresh_from_db()
    assert activity.title == "Course"


# --- the form -----------------------------------------------------------------------------------------------

def test_type_select_is_grouped_by_category_across_schemes(client, org_a, alice, noloc, peoplecert):
    client.force_login(alice)
    body = client.get(url("activity_create", org_a)).content.decode()
    assert '<optgroup label="Register Jobcoach' in body or "<optgroup label=" in body
    assert "Further training within the field" in body
    assert "Professional Experience" in body
    assert body.count('value="in-house-training"') == 1  # PeopleCert only here; CCMG not held
    assert "Choose the type first" in body


def test_a_type_shows_only_its_fields_formula_and_evidence_before_upload(client, org_a, alice, noloc):
    client.force_login(alice)
    body = client.get(url("activity_create", org_a), {"type": "article"}).content.decode()
    assert "Number of words" in body
    assert '<label class="form-label" for="id_quantity">Articles' in body
    assert "Points = Articles × 10" in body
    assert "Image of the article" in body
    assert "Upload all of these:" in body
    assert "Candidates guided or assessed" not in body
    mentor = client.get(url("activity_create", org_a), {"type": "register-mentor-assessor"}).content.decode()
    assert "Candidates guided or assessed" in mentor
    assert "Points = Years × 4 + Candidates guided or assessed × 2" in mentor


def test_choosing_another_type_refreshes_its_fields_and_keeps_what_was_typed(client, org_a, alice, noloc):
    client.force_login(alice)
    data = form_data(type_code="congress", title="Kept title", action="refresh")
    response = client.post(url("activity_create", org_a), data, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="activity-type-fields"' in body
    assert "<html" not in body
    assert "Half-days" in body
    assert "3 points per half day, 6 points per day" in body
    # Without JavaScript the same post re-renders the whole page, keeping every field.
    page = client.post(url("activity_create", org_a), data).content.decode()
    assert 'value="Kept title"' in page
    assert "is-invalid" not in page


def test_create_saves_and_audits(client, org_a, alice, noloc):
    client.force_login(alice)
    response = client.post(url("activity_create", org_a), form_data(reflection="Useful"))
    activity = Activity.objects.get(organisation=org_a, owner=alice)
    assert response.status_code == 302
    assert response["Location"] == url("activity_edit", org_a, pk=activity.pk) + "#evidence"
    assert (activity.type_code, activity.quantity, activity.date) == ("course", Decimal("8"), dt.date(2025, 3, 1))
    assert activity.reflection == "Useful"
    event = AuditEvent.objects.get(organisation=org_a, action="activity.create")
    assert event.data["activity"] == activity.pk


def test_attributes_are_stored_as_the_engine_reads_them(client, org_a, alice, noloc):
    client.force_login(alice)
    client.post(url("activity_create", org_a), form_data(type_code="register-mentor-assessor", quantity="1",
                                                         attr_candidates="3"))
    activity = Activity.objects.get(organisation=org_a, owner=alice)
    assert activity.attributes == {"candidates": 3}
    report = reports.evaluate_certification(noloc, noloc.scheme_version.rules,
                                            reports.owner_activities(org_a, alice), TODAY)
    assert report.activities[0].points == Decimal(10)


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(client, org_a, alice, noloc):
    client.force_login(alice)
    response = client.post(url("activity_create", org_a), form_data(
        type_code="article", quantity="1", attr_words="1400", title="", provider="Vakblad Loopbaan",
        description="About job coaching"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "This field is required." in body
    assert "Number of words is 1400, below the minimum of 1500" in body
    assert 'value="Vakblad Loopbaan"' in body
    assert "About job coaching" in body
    assert 'value="1400"' in body
    assert not Activity.objects.filter(organisation=org_a).exists()


def test_bad_input_in_dutch(client, org_a, alice, noloc):
    alice.preferred_language = "nl"
    alice.save()
    client.force_login(alice)
    response = client.post(url("activity_create", org_a), form_data(
        type_code="article", quantity="1", attr_words="1400", title="Mijn artikel", quantity_extra=""))
    body = response.content.decode()
    assert response.status_code == 422
    assert 'lang="nl"' in body
    assert "Aantal woorden is 1400, lager dan het minimum van 1500" in body
    assert 'value="Mijn artikel"' in body
    missing = client.post(url("activity_create", org_a), form_data(title="")).content.decode()
    assert "Dit veld is verplicht." in missing
    assert not Activity.objects.filter(organisation=org_a).exists()


def test_noloc_article_under_1500_words_is_refused_by_the_service(org_a, alice, noloc):
    data = services.ActivityData(type_code="article", date=dt.date(2025, 3, 1), quantity=Decimal(1),
                                 title="Short", attributes={"words": 1400})
    with pytest.raises(ValidationError) as refused:
        services.activity_create(organisation=org_a, owner=alice, data=data)
    assert refused.value.message_dict["attr_words"] == ["Number of words is 1400, below the minimum of 1500"]
    saved = services.activity_create(organisation=org_a, owner=alice, data=services.ActivityData(
        type_code="article", date=dt.date(2025, 3, 1), quantity=Decimal(1), title="Long", attributes={"words": 1500}))
    assert saved.attributes == {"words": 1500}


def test_peoplecert_16_points_is_refused(client, org_a, alice, peoplecert):
    client.force_login(alice)
    response = client.post(url("activity_create", org_a), form_data(type_code="mentoring", quantity="16",
                                                                    date="2026-06-01"))
    body = response.content.decode()
    assert response.status_code == 422
    assert "16 points is above the per-activity maximum of 15" in body
    assert 'value="16"' in body
    with pytest.raises(ValidationError) as refused:
        services.activity_create(organisation=org_a, owner=alice, data=services.ActivityData(
            type_code="mentoring", date=dt.date(2026, 6, 1), quantity=Decimal("0.25"), title="Too short"))
    assert "0.25 points is below the per-activity minimum of 0.5" in refused.value.message_dict["quantity"]
    assert not Activity.objects.filter(organisation=org_a).exists()


def test_future_dates_and_unknown_types_are_refused(client, org_a, alice, peoplecert):
    client.force_login(alice)
    tomorrow = TODAY + dt.timedelta(days=1)
    body = client.post(url("activity_create", org_a), form_data(type_code="mentoring", quantity="2",
                                                                date=tomorrow.isoformat())).content.decode()
    assert "The date cannot be in the future" in body
    body = client.post(url("activity_create", org_a), form_data(type_code="article")).content.decode()
    assert "Select a valid choice" in body
    with pytest.raises(ValidationError) as refused:
        services.activity_create(organisation=org_a, owner=alice, data=services.ActivityData(
            type_code="article", date=dt.date(2025, 1, 1), quantity=Decimal(1), title="Not a PeopleCert type"))
    assert "type_code" in refused.value.message_dict
    assert not Activity.objects.filter(organisation=org_a).exists()


def test_edit_saves_and_keeps_input_on_error(client, org_a, alice, peoplecert):
    activity = factories.activity(org_a, alice, "mentoring", dt.date(2026, 6, 1), 3, title="Before")
    client.force_login(alice)
    page = client.get(url("activity_edit", org_a, pk=activity.pk)).content.decode()
    assert 'value="Before"' in page
    assert 'value="3"' in page
    assert 'name="replaces"' in page
    bad = client.post(url("activity_edit", org_a, pk=activity.pk),
                      form_data(type_code="mentoring", quantity="20", date="2026-06-01", title="After"))
    assert bad.status_code == 422
    assert 'value="After"' in bad.content.decode()
    good = client.post(url("activity_edit", org_a, pk=activity.pk),
                       form_data(type_code="mentoring", quantity="4.5", date="2026-06-01", title="After"))
    assert good.status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.quantity) == ("After", Decimal("4.5"))
    assert AuditEvent.objects.filter(organisation=org_a, action="activity.update").count() == 1


def test_duplicate_opens_prefilled_dated_today_and_saves_a_new_activity(client, org_a, alice, noloc):
    source = factories.activity(org_a, alice, "register-mentor-assessor", dt.date(2024, 3, 1), 1, title="Mentor",
                                attributes={"candidates": 2})
    client.force_login(alice)
    page = client.get(url("activity_duplicate", org_a, pk=source.pk)).content.decode()
    assert 'value="Mentor"' in page
    assert f'value="{TODAY.isoformat()}"' in page
    assert 'value="2"' in page  # candidates
    response = client.post(url("activity_duplicate", org_a, pk=source.pk), form_data(
        type_code="register-mentor-assessor", quantity="1", attr_candidates="2", title="Mentor",
        date=TODAY.isoformat()))
    assert response.status_code == 302
    assert Activity.objects.filter(organisation=org_a, owner=alice).count() == 2
    source.refresh_from_db()
    assert source.date == dt.date(2024, 3, 1)


def test_delete_asks_first(client, org_a, alice, noloc):
    activity = factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 4, title="To go")
    client.force_login(alice)
    confirm = client.get(url("activity_delete", org_a, pk=activity.pk))
    assert confirm.status_code == 200
    assert "Delete “To go”?" in confirm.content.decode()
    assert Activity.objects.filter(pk=activity.pk, organisation=org_a).exists()
    response = client.post(url("activity_delete", org_a, pk=activity.pk))
    assert response.status_code == 302
    assert not Activity.objects.filter(pk=activity.pk, organisation=org_a).exists()
    assert AuditEvent.objects.filter(organisation=org_a, action="activity.delete").count() == 1


def test_locked_activity_is_read_only(client, org_a, alice, noloc):
    activity = lock(factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 4, title="Submitted"),
                    org_a, alice)
    client.force_login(alice)
    page = client.get(url("activity_edit", org_a, pk=activity.pk))
    body = page.content.decode()
    assert page.status_code == 200
    assert "part of a submitted dossier" in body
    assert 'name="title"' not in body
    refused = client.post(url("activity_edit", org_a, pk=activity.pk), form_data(title="Changed"))
    assert refused.status_code == 403
    assert "part of a submitted dossier" in refused.content.decode()
    assert client.get(url("activity_delete", org_a, pk=activity.pk)).status_code == 403
    assert client.post(url("activity_delete", org_a, pk=activity.pk)).status_code == 403
    with pytest.raises(ValidationError):
        services.activity_update(activity=activity, by=alice, data=services.ActivityData(
            type_code="course", date=dt.date(2025, 3, 1), quantity=Decimal(4), title="Changed"))
    with pytest.raises(ValidationError):
        services.activity_delete(activity=activity, by=alice)
    activity.refresh_from_db()
    assert activity.title == "Submitted"
    assert client.get(url("activity_duplicate", org_a, pk=activity.pk)).status_code == 200


# --- the live preview ---------------------------------------------------------------------------------------

def preview(client, org, **fields) -> str:
    response = client.post(url("activity_preview", org), form_data(**fields), headers={"HX-Request": "true"})
    assert response.status_code == 200
    return response.content.decode()


def test_preview_all_count(client, org_a, alice, peoplecert):
    client.force_login(alice)
    body = preview(client, org_a, type_code="mentoring", quantity="6", date="2026-06-01")
    assert "6 points, all count" in body
    assert "CPD year 1 May 2026 – 30 April 2027: 0 → 6 points counted (20 required)" in body
    assert "<html" not in body


def test_preview_peoplecert_community_cap(client, org_a, alice, peoplecert):
    factories.activity(org_a, alice, "attending-events", dt.date(2026, 5, 10), 12)
    client.force_login(alice)
    body = preview(client, org_a, type_code="forum-contributions", quantity="6", date="2026-06-01")
    assert "6 points, 3 count: The Community cap of 15 per CPD year is reached." in body
    assert "12 → 15 points counted" in body


def test_preview_noloc_societal_cap(client, org_a, alice, noloc):
    factories.activity(org_a, alice, "volunteering", dt.date(2024, 3, 1), 4)  # 8 points of the 10
    client.force_login(alice)
    body = preview(client, org_a, type_code="volunteering", quantity="3", date="2025-03-01")
    assert "6 points, 2 count: The Other societal activities cap of 10 per recertification period is reached." in body


def test_preview_of_an_edit_replaces_the_edited_activity(client, org_a, alice, peoplecert):
    edited = factories.activity(org_a, alice, "attending-events", dt.date(2026, 5, 10), 12)
    client.force_login(alice)
    body = preview(client, org_a, type_code="attending-events", quantity="14", date="2026-05-10", replaces=edited.pk)
    assert "14 points, all count" in body
    assert "12 → 14 points counted" in body


def test_preview_shows_rule_problems(client, org_a, alice, peoplecert, noloc):
    client.force_login(alice)
    body = preview(client, org_a, type_code="mentoring", quantity="16", date="2026-06-01")
    assert "16 points is above the per-activity maximum of 15" in body
    assert "Does not count until the problems shown above are corrected." in body
    article = preview(client, org_a, type_code="article", quantity="1", attr_words="1400")
    assert "Number of words is 1400, below the minimum of 1500" in article
    assert "Choose an activity type" in preview(client, org_a, type_code="")
    assert "Fill in “Articles” to see the points." in preview(client, org_a, type_code="article", quantity="")


def test_the_form_page_carries_the_live_preview_wiring(client, org_a, alice, peoplecert):
    client.force_login(alice)
    body = client.get(url("activity_create", org_a)).content.decode()
    assert f'hx-post="{url("activity_preview", org_a)}"' in body
    assert 'hx-trigger="input changed delay:300ms"' in body
    assert 'id="activity-preview" aria-live="polite"' in body


# --- the list -----------------------------------------------------------------------------------------------

def test_list_shows_points_and_what_counts_with_totals_matching_the_engine(client, org_a, alice, peoplecert):
    factories.activity(org_a, alice, "attending-events", dt.date(2026, 5, 10), 12, title="Meetup")
    factories.activity(org_a, alice, "forum-contributions", dt.date(2026, 6, 1), 6, title="Forum")
    client.force_login(alice)
    body = client.get(url("activity_list", org_a)).content.decode()
    assert "12, all count" in body
    assert "6, 3 count" in body
    assert "The Community cap of 15 per CPD year is reached." in body
    report = reports.evaluate_certification(peoplecert, peoplecert.scheme_version.rules,
                                            reports.owner_activities(org_a, alice), TODAY)
    assert report.total_counted == 15
    assert "15 CPD points counted" in body
    assert "of 20 required" in body
    assert "CPD year 1 May 2026 – 30 April 2027" in body
    dashboard = client.get(reverse("org_home", kwargs={"org": org_a.slug})).content.decode()
    assert "15 CPD points counted" in dashboard
    assert "of 20 required" in dashboard


def test_list_filters_search_sort_and_pages(client, org_a, alice, noloc, peoplecert):
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 8, title="Noloc course", provider="Academy")
    factories.activity(org_a, alice, "book-read", dt.date(2025, 4, 1), 3, title="Good book")
    factories.activity(org_a, alice, "mentoring", dt.date(2026, 6, 1), 2, title="Mentoring junior",
                       description="weekly sessions")
    factories.activity(org_a, alice, "mentoring", dt.date(2024, 6, 1), 9, title="Old mentoring")
    client.force_login(alice)
    listing = url("activity_list", org_a)

    def titles(**params) -> list[str]:
        body = client.get(listing, params).content.decode()
        return [t for t in ("Noloc course", "Good book", "Mentoring junior", "Old mentoring") if t in body]

    assert titles() == ["Noloc course", "Good book", "Mentoring junior", "Old mentoring"]  # all four shown
    assert titles(category="noloc-register-jobcoach:training-within-field") == ["Noloc course", "Good book"]
    assert titles(certification=str(peoplecert.pk)) == ["Mentoring junior", "Old mentoring"]
    assert titles(period=f"{peoplecert.pk}:4") == ["Mentoring junior"]
    assert titles(period=f"{noloc.pk}:cycle") == ["Noloc course", "Good book", "Mentoring junior", "Old mentoring"]
    assert titles(q="weekly") == ["Mentoring junior"]
    assert titles(q="academy") == ["Noloc course"]
    assert titles(evidence_missing="on") == ["Noloc course", "Good book"]  # Noloc types need evidence
    assert titles(category="nonsense", sort="nonsense") == titles()  # bad filter values are ignored

    def order(**params) -> list[str]:
        body = client.get(listing, params).content.decode()
        found = [(body.index(t), t) for t in ("Noloc course", "Good book", "Mentoring junior", "Old mentoring")]
        return [t for _i, t in sorted(found)]

    assert order() == ["Mentoring junior", "Good book", "Noloc course", "Old mentoring"]
    assert order(sort="date") == ["Old mentoring", "Noloc course", "Good book", "Mentoring junior"]
    assert order(sort="-points") == ["Old mentoring", "Noloc course", "Good book", "Mentoring junior"]  # 9, 8, 6, 2
    assert order(sort="points") == ["Mentoring junior", "Good book", "Noloc course", "Old mentoring"]
    # By type label: "Course, training…" < "Mentoring individuals…" < "Reading a professional book"
    assert order(sort="type") == ["Noloc course", "Mentoring junior", "Old mentoring", "Good book"]


def test_list_pages_and_query_count_do_not_grow_with_rows(client, org_a, alice, noloc, django_assert_max_num_queries):
    factories.activity(org_a, alice, "course", dt.date(2025, 1, 1), 2, title="Row 00")
    client.force_login(alice)
    listing = url("activity_list", org_a)
    client.get(listing)
    with django_assert_max_num_queries(20) as one:
        assert client.get(listing).status_code == 200
    for i in range(1, 30):
        factories.activity(org_a, alice, "workshop", dt.date(2024, 1, 1) + dt.timedelta(days=i), 1, title=f"Row {i:02}")
    with django_assert_max_num_queries(20) as many:
        body = client.get(listing).content.decode()
    assert len(one.captured_queries) == len(many.captured_queries)
    assert "Page 1 of 2" in body
    assert "30 activities" in body
    second = client.get(listing, {"page": 2}).content.decode()
    assert second.count("/duplicate/") == 5
    assert "Page 2 of 2" in second


def test_htmx_filter_renders_only_the_table(client, org_a, alice, noloc):
    client.force_login(alice)
    response = client.get(url("activity_list", org_a), {"q": "x"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="activity-table"' in body
    assert "<html" not in body


# --- CSV ---------------------------------------------------------------------------------------------------

def test_csv_export_with_stable_codes_and_the_lists_filters(client, org_a, alice, noloc):
    factories.activity(org_a, alice, "register-mentor-assessor", dt.date(2025, 2, 1), 1, title="Mentor, assessor",
                       attributes={"candidates": 3})
    factories.activity(org_a, alice, "volunteering", dt.date(2024, 3, 1), 6, title="=HYPERLINK(\"x\")")
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), "2.5", title="Ééntje", provider="Noloc")
    client.force_login(alice)
    response = client.get(url("activity_export", org_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="activities-acme-')
    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["date", "type", "quantity", "title", "provider", "points", "counted", "attributes"]
    assert rows[1] == ["2025-03-01", "course", "2.5", "Ééntje", "Noloc", "2.5", "2.5", ""]
    assert rows[2] == ["2025-02-01", "register-mentor-assessor", "1", "Mentor, assessor", "", "10", "10",
                       '{"candidates": 3}']
    assert rows[3][:7] == ["2024-03-01", "volunteering", "6", "'=HYPERLINK(\"x\")", "", "12", "10"]
    filtered = b"".join(client.get(url("activity_export", org_a), {"q": "mentor"}).streaming_content)
    assert len(list(csv.reader(io.StringIO(filtered.decode("utf-8-sig"))))) == 2


def test_csv_export_is_the_professionals_own(client, org_a, alice, bob, noloc):
    dave = factories.member(org_a, "dave@example.com", "professional")
    factories.activity(org_a, dave, "course", dt.date(2025, 3, 1), 2, title="Dave's course")
    client.force_login(alice)
    raw = b"".join(client.get(url("activity_export", org_a)).streaming_content)
    assert b"Dave" not in raw
    client.force_login(bob)
    assert client.get(url("activity_export", org_a)).status_code == 403


def test_types_awarded_on_completion_ask_whether_it_is_completed(client, org_a, alice):
    factories.certification(org_a, alice, "ccmg-cpd", number="CC-1")
    client.force_login(alice)
    page = client.get(url("activity_create", org_a), {"type": "training-course-with-exam"}).content.decode()
    assert 'type="checkbox" name="attr_completed"' in page
    assert 'aria-describedby="id_attr_completed_help" id="id_attr_completed" checked' in page
    assert "Points are awarded on completion" in page
    assert "Hours of study" in page
    # Unticked: logged, but it does not count yet.
    body = preview(client, org_a, type_code="training-course-with-exam", quantity="8", date="2026-02-01")
    assert "8 points, none count: Points are awarded on completion." in body
    done = preview(client, org_a, type_code="training-course-with-exam", quantity="8", date="2026-02-01",
                   attr_completed="on")
    assert "8 points, all count" in done
    # Re-rendering the same type keeps the box unticked; switching to the type starts it ticked.
    same = client.post(url("activity_create", org_a), form_data(
        type_code="training-course-with-exam", shown_type="training-course-with-exam", action="refresh"),
        headers={"HX-Request": "true"}).content.decode()
    assert 'id="id_attr_completed">' in same
    switched = client.post(url("activity_create", org_a), form_data(
        type_code="training-course-with-exam", shown_type="webinar", action="refresh"),
        headers={"HX-Request": "true"}).content.decode()
    assert 'id="id_attr_completed" checked>' in switched
    client.post(url("activity_create", org_a), form_data(type_code="training-course-with-exam", quantity="8",
                                                         date="2026-02-01"))
    assert Activity.objects.get(organisation=org_a, owner=alice).attributes == {"completed": False}


def test_a_scheme_without_point_rules_adds_no_totals_or_filters(client, org_a, alice, noloc):
    factories.certification(org_a, alice, "cmi-register-loopbaanprofessional", number="CMI-1")
    client.force_login(alice)
    body = client.get(url("activity_list", org_a)).content.decode()
    assert "certificate NL-1" in body
    assert "certificate CMI-1" not in body


# --- plausible input only (issue 8, item 5) ------------------------------------------------------------------

def test_an_implausible_quantity_is_refused_naming_the_bound(client, org_a, alice, peoplecert):
    client.force_login(alice)
    response = client.post(url("activity_create", org_a), form_data(type_code="reading", quantity="9999999.99",
                                                                    date="2025-06-01"))
    body = response.content.decode()
    assert "The quantity 9999999.99 is more than one activity can plausibly have: at most 1000 Hours" in body
    assert "9999999.99" in body  # the rejected form keeps the input
    assert not Activity.objects.filter(organisation=org_a).exists()


def test_dates_before_the_earliest_plausible_date_are_refused(client, org_a, alice, peoplecert):
    """PeopleCert, exam 30 April 2023: CPD year 1 starts on 1 May 2023, so 1 May 2013 is the earliest date."""
    client.force_login(alice)
    body = client.post(url("activity_create", org_a), form_data(
        type_code="mentoring", quantity="2", date="0001-01-01")).content.decode()
    assert "The date 1 January 0001 is too early: the earliest date accepted is 1 May 2013" in body
    body = client.post(url("activity_create", org_a), form_data(
        type_code="mentoring", quantity="2", date="2013-04-30")).content.decode()
    assert "the earliest date accepted is 1 May 2013" in body
    assert not Activity.objects.filter(organisation=org_a).exists()
    response = client.post(url("activity_create", org_a), form_data(type_code="mentoring", quantity="2",
                                                                    date="2013-05-01"))
    assert response.status_code == 302  # plausible, though before the CPD years: saved, and counts nothing


def test_the_earliest_date_is_the_most_lenient_certifications(org_a, alice, peoplecert, noloc):
    """Noloc, recertification 1 June 2027: its window starts 1 June 2023, ten years later than 1 June 2013;
    PeopleCert's bound (1 May 2013) is earlier, and one activity log serves both."""
    services.activity_create(organisation=org_a, owner=alice, data=services.ActivityData(
        type_code="course", date=dt.date(2013, 5, 15), quantity=Decimal(4), title="Old course"))
    with pytest.raises(ValidationError) as refused:
        services.activity_create(organisation=org_a, owner=alice, data=services.ActivityData(
            type_code="course", date=dt.date(2013, 4, 30), quantity=Decimal(4), title="Older course"))
    assert refused.value.message_dict["date"] == [
        "The date 30 April 2013 is too early: the earliest date accepted is 1 May 2013"]


@pytest.mark.parametrize(("language", "text"), [
    ("nl", "maximaal 1000"),
    ("nb", "høyst 1000"),
])
def test_the_bound_is_worded_in_the_users_language(client, org_a, alice, peoplecert, language, text):
    client.force_login(alice)
    with translation.override(language):
        body = client.post(url("activity_create", org_a), form_data(
            type_code="reading", quantity="5000", date="2025-06-01"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert text in body


# --- decimal attributes: one encoding for the form, the import and the engine (issue 9, item 7) -------------

ECTS = {"code": "ects", "label": {"en": "ECTS credits", "nl": "ECTS-punten", "nb": "ECTS-poeng"},
        "type": "decimal", "required": True, "min": "0.5", "max": "60"}


def with_ects(org, by):
    """The organisation's Noloc, edited: courses carry a required decimal attribute (from 2020-01-02)."""
    from schemes.models import SchemeVersion
    from schemes.services import scheme_version_save

    with maintenance():
        latest = SchemeVersion.objects.filter(organisation=org, code="noloc-register-jobcoach").latest("version")
        data = json.loads(json.dumps(latest.definition))
        data["activity_types"]["course"]["attributes"] = [ECTS]
        return scheme_version_save(organisation=org, data=data, effective_from=dt.date(2020, 1, 2), by=by,
                                   source=SchemeVersion.Source.EDITED)


def test_a_decimal_attribute_entered_in_the_form_is_stored_as_text_and_counts(client, org_a, alice, noloc):
    with_ects(org_a, alice)
    client.force_login(alice)
    refused = client.post(url("activity_create", org_a), form_data(attr_ects="0.25"))
    assert "ECTS credits is 0.25, below the minimum of 0.5" in refused.content.decode()
    response = client.post(url("activity_create", org_a), form_data(attr_ects="2.5"))
    assert response.status_code == 302
    activity = Activity.objects.get(organisation=org_a)
    assert activity.attributes == {"ects": "2.5"}
    # Read back from the database both ways, the engine counts it (it counted nothing before: "2.5" was
    # "not a number").
    certification = noloc
    definition = services.certifications_with_rules(organisation=org_a, owner=alice)[0].definition
    for inputs in (reports.owner_activities(org_a, alice), services_inputs([activity])):
        report = reports.evaluate_certification(certification, definition, inputs, dt.date(2026, 5, 1))
        assert report.total_counted == 8
        assert report.activities[0].reasons == ()
    # Editing shows the stored number in the user's format, and keeps it when saved again.
    with translation.override("nl"):
        page = client.get(url("activity_edit", org_a, pk=activity.pk), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert 'value="2,5"' in page


def services_inputs(activities):
    from portfolios.rules_inputs import activity_inputs

    return next(iter(activity_inputs(activities).values()))


def test_stored_floats_become_text_in_the_migration(org_a, alice, noloc):
    """The CSV import stored decimal attributes as JSON floats; the data migration turns them into text and
    gives imported rows their new import key."""
    import importlib

    from django.apps import apps
    from django.db import connection

    from portfolios.services.imports import import_key

    migration = importlib.import_module("portfolios.migrations.0006_decimal_attributes_as_text")
    with maintenance():
        imported = factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 8, title="Imported",
                                      attributes={"ects": 2.5, "note": "kept"}, import_key="old")
        typed = factories.activity(org_a, alice, "article", dt.date(2025, 3, 2), 1, attributes={"words": 1500})
    with connection.schema_editor() as editor:
        migration.floats_to_text(apps, editor)
    with maintenance():
        imported.refresh_from_db()
        typed.refresh_from_db()
    assert imported.attributes == {"ects": "2.5", "note": "kept"}
    assert imported.import_key == import_key(organisation_id=org_a.pk, owner_id=alice.pk, type_code="course",
                                             date=dt.date(2025, 3, 1), quantity=Decimal(8), title="Imported",
                                             attributes={"ects": "2.5", "note": "kept"})
    assert typed.attributes == {"words": 1500}
