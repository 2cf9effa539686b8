"""Submission: refused until complete, then an immutable snapshot, locked activities, a PDF; all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from dossiers.models import Dossier, StatementRequest, Submission
from dossiers.services import submission as submission_services
from dossiers.tasks import StaticFilesOnlyFetcher, render_submission_pdf
from portfolios.models import Activity
from tests import factories
from tests.test_dossiers import (  # noqa: F401
    _media,
    add_evidence,
    complete_noloc,
    noloc,
    pe_points,
    start,
    url,
)

pytestmark = pytest.mark.django_db


def reload(dossier) -> Dossier:
    with maintenance():
        return Dossier.objects.select_related("certification", "scheme_version").get(pk=dossier.pk)


def submission_of(dossier) -> Submission | None:
    with maintenance():
        return Submission.objects.filter(dossier_id=dossier.pk).first()


def submitted(dossier) -> Submission:
    submission = submission_of(dossier)
    assert submission is not None, "the dossier has no submission"
    return submission


@pytest.fixture
def ready(client, org_a, alice):
    """A complete Noloc dossier for a 2025 recertification, with 80 PE points and a CV."""
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))
    activities = pe_points(org_a, alice)
    complete_noloc(client, org_a, dossier)
    return dossier, activities


def pdf_text(data: bytes, tmp_path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's text")
    source = tmp_path / "dossier.pdf"
    source.write_bytes(data)
    return subprocess.run(["pdftotext", str(source), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_submission_is_refused_with_what_is_missing(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))
    page = client.get(url("dossier_submit", org_a, pk=dossier.pk))
    assert page.status_code == 200
    assert "cannot be submitted yet" in page.content.decode()
    response = client.post(url("dossier_submit", org_a, pk=dossier.pk))
    assert response.status_code == 422
    body = response.content.decode()
    assert "A1 Working as a practising jobcoach: upload the Curriculum vitae." in body
    assert ("A3.1 Reflection on your professional conduct: get 2 more signed statements: Statement of a reflection "
            "meeting attended (2 required, 0 signed so far).") in body
    assert "C Declaration: tick “I have read the code of conduct”." in body
    assert "Add 30 more Further training within the field points" in body or "needed at least 30" in body
    assert "Submit the dossier" not in body
    assert reload(dossier).status == "draft"
    assert submission_of(dossier) is None


def test_submission_freezes_a_snapshot_locks_and_renders_the_pdf(client, org_a, alice, ready, mailoutbox,
                                                                 django_capture_on_commit_callbacks, tmp_path):
    dossier, activities = ready
    outside = factories.activity(org_a, alice, "course", dt.date(2020, 1, 1), 5)  # before the window
    confirm = client.get(url("dossier_submit", org_a, pk=dossier.pk)).content.decode()
    assert "What will be frozen" in confirm
    assert "3 activities that count" in confirm
    assert "2 signed statements" not in confirm  # 3: the A1 statement and two meetings
    assert "3 signed statements" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("dossier_submit", org_a, pk=dossier.pk))
    assert response.status_code == 302
    dossier = reload(dossier)
    assert dossier.status == "submitted"
    assert dossier.submitted_at is not None
    submission = submitted(dossier)
    snapshot = submission.snapshot
    # The stored hash is the SHA-256 of the canonical JSON, as read back from the database.
    assert submission.snapshot_sha256 == hashlib.sha256(submission_services.canonical_json(snapshot)).hexdigest()
    assert submission.scheme_version_id == dossier.scheme_version_id
    assert submission.submitted_by == alice

    assert snapshot["scheme"]["code"] == "noloc-register-jobcoach"
    assert snapshot["scheme"]["version"] == dossier.scheme_version.version
    assert snapshot["scheme"]["definition"] == dossier.scheme_version.definition
    assert snapshot["dossier"]["reference_date"] == "2025-12-01"
    assert snapshot["dossier"]["kind"] == "recertification"
    assert snapshot["certification"]["number"] == dossier.certification.number
    sections = {section["code"]: section for section in snapshot["sections"]}
    assert list(sections) == ["A1", "A2", "A3.1", "A3.2", "A4", "B", "C"]
    assert sections["A2"]["state"] == "exempt"
    assert "Exempt for recertification dates" in sections["A2"]["reason"]
    assert sections["C"]["state"] == "complete"
    ticked = sections["C"]["data"]["requirements"]["code-of-conduct"]["ticked"]
    assert set(ticked) == {"read-code", "work-by-code", "know-complaints"}
    assert all(box["ticked_at"] for box in sections["C"]["requirements"][0]["checkboxes"])
    reflection = sections["A3.2"]["requirements"][0]
    assert reflection["references"] == ["Kerntaak 2: begeleiden"]
    assert reflection["questions"][0]["answer"] == "A client stuck between two jobs."
    statements = snapshot["statements"]
    assert len(statements) == 3
    assert {s["state"] for s in statements} == {"signed"}
    meeting = next(s for s in statements if s["section"] == "A3.1")
    assert meeting["signed_name"] == "Fay Facilitator"
    assert meeting["signed_at"]
    assert {f["code"]: f["value"] for f in meeting["fields"]}["situation-brought-in"] is True
    assert sorted(a["id"] for a in snapshot["activities"]) == sorted(a.pk for a in activities)
    course = next(a for a in snapshot["activities"] if a["type"] == "course")
    assert (course["quantity"], course["points"], course["counted"]) == ("40", "40", "40")
    assert snapshot["report"]["compliant"] is True
    assert snapshot["report"]["total_counted"] == 80
    assert snapshot["report"]["sections"]["A3.1"]["meetings_required"] == 2
    assert snapshot["report_localised"]["language"] == "en"
    [cv] = snapshot["evidence"]
    assert cv["name"] == "cv.pdf"
    assert cv["size"] > 0
    assert cv["section"] == "A1"
    assert cv["requirement"] == "cv"
    with maintenance():
        stored = default_storage.open(Activity.objects.get(pk=activities[0].pk).evidence.model.objects.get(
            pk=cv["id"]).file.name).read()
    assert cv["sha256"] == hashlib.sha256(stored).hexdigest()

    with maintenance():
        locked = {a.pk: a.locked_by_id for a in Activity.objects.filter(organisation=org_a, owner=alice)}
        assert AuditEvent.objects.filter(organisation=org_a, action="dossier.submit").count() == 1
    assert all(locked[a.pk] == submission.pk for a in activities)
    assert locked[outside.pk] is None  # not counted, not frozen
    assert mailoutbox[-1].to == ["alice@example.com"]
    assert "has been submitted" in mailoutbox[-1].subject
    assert submission.snapshot_sha256 in mailoutbox[-1].body

    # The PDF was rendered after commit, from the snapshot.
    assert submission.pdf
    download = client.get(url("dossier_pdf", org_a, pk=dossier.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    data = b"".join(download.streaming_content)
    assert data.startswith(b"%PDF")
    text = " ".join(pdf_text(data, tmp_path).split())
    for expected in ("Noloc", "A3.2 Reflection report on a meaningful situation", "A client stuck between two jobs.",
                     "Fay Facilitator", "cv.pdf", cv["sha256"][:32], "Kerntaak 2: begeleiden",
                     "I have read the code of conduct", "Coaching course", "Exempt for this date"):
        assert expected in text, expected
    page = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()
    assert "Download the submitted dossier (PDF)" in page
    assert submission.snapshot_sha256 in page


def test_snapshot_and_pdf_in_the_submitters_language(client, org_a, alice, ready, tmp_path,
                                                      django_capture_on_commit_callbacks):
    dossier, _activities = ready
    alice.preferred_language = "nl"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("dossier_submit", org_a, pk=dossier.pk)).status_code == 302
    submission = submitted(dossier)
    snapshot = submission.snapshot
    assert snapshot["report_localised"]["language"] == "nl"
    assert snapshot["sections"][3]["label"] == "A3.2 Reflectieverslag van een betekenisvolle situatie"
    assert snapshot["report"]["sections"]["A2"]["reason"].startswith("Exempt")  # to_dict() stays English
    with maintenance():
        data = Submission.objects.get(pk=submission.pk).pdf.read()
    assert "Reflectieverslag" in pdf_text(data, tmp_path)


def test_changed_evidence_is_refused_and_nothing_changes(client, org_a, alice, ready):
    dossier, activities = ready
    with maintenance():
        evidence = add_evidence(dossier, "A1", "cv", name="diploma.pdf")
        assert evidence.file.name
        with default_storage.open(evidence.file.name, "wb") as handle:
            handle.write(b"%PDF-1.4 tampered")
    response = client.post(url("dossier_submit", org_a, pk=dossier.pk))
    assert response.status_code == 422
    assert "The file diploma.pdf has changed since it was uploaded" in response.content.decode()
    assert reload(dossier).status == "draft"
    assert submission_of(dossier) is None
    with maintenance():
        assert not Activity.objects.filter(organisation=org_a, locked_by__isnull=False).exists()


@pytest.mark.parametrize("step", ["snapshot_digest", "_lock_activities"])
def test_a_failure_half_way_leaves_the_dossier_as_it_was(client, org_a, alice, ready, monkeypatch, step,
                                                         django_capture_on_commit_callbacks, mailoutbox):
    dossier, activities = ready

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(submission_services, step, broken)
    target = reload(dossier)
    # No surrounding atomic block here (test code runs with the tenancy walls open): only the service's own
    # transaction can undo what it did before the failure.
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError,
                                                                                      match="disk is full"):
        submission_services.dossier_submit(dossier=target, by=alice)
    assert callbacks == []  # no PDF, no e-mail queued
    fresh = reload(dossier)
    assert (fresh.status, fresh.submitted_at) == ("draft", None)
    assert submission_of(dossier) is None
    with maintenance():
        assert not Activity.objects.filter(organisation=org_a, locked_by__isnull=False).exists()
        assert not AuditEvent.objects.filter(organisation=org_a, action="dossier.submit").exists()
    assert not any("submitted" in mail.subject for mail in mailoutbox)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("dossier_submit", org_a, pk=dossier.pk)).status_code == 302
    assert reload(dossier).status == "submitted"


def test_everything_is_read_only_after_submission(client, org_a, alice, ready, django_capture_on_commit_callbacks):
    dossier, activities = ready
    with maintenance():
        open_request = StatementRequest.objects.filter(organisation=org_a, dossier=dossier).first()
    assert open_request is not None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("dossier_submit", org_a, pk=dossier.pk))
    section = url("dossier_section", org_a, pk=dossier.pk, code="A4")
    page = client.get(section)
    assert page.status_code == 200
    body = page.content.decode()
    assert "now read-only" in body
    assert "disabled" in body
    assert "hx-post" not in body
    assert ">Save<" not in body
    refused = client.post(section, {"development-plan__present": "changed"})
    assert refused.status_code == 403
    assert "now read-only" in refused.content.decode()
    assert client.post(section, {"x": 1}, HTTP_HX_REQUEST="true").status_code == 403
    request_url = url("statement_request", org_a, pk=dossier.pk) + "?section=A3.1&requirement=reflection-meeting"
    assert "now read-only" in client.get(request_url).content.decode()
    assert client.post(request_url, {"signer_name": "X", "signer_email": "x@example.com"}).status_code == 403
    assert client.post(url("statement_resend", org_a, pk=open_request.pk)).status_code == 403
    assert client.post(url("statement_withdraw", org_a, pk=open_request.pk)).status_code == 403
    assert client.post(url("dossier_submit", org_a, pk=dossier.pk)).status_code == 403
    assert client.get(url("dossier_submit", org_a, pk=dossier.pk)).status_code == 302
    with maintenance():
        cv = dossier.sections.model.objects.get(organisation=org_a, dossier=dossier, code="A1").evidence.first()
    assert client.post(reverse("evidence_delete", kwargs={"org": org_a.slug, "pk": cv.pk})).status_code == 403
    with maintenance():
        assert all(Activity.objects.get(pk=a.pk).is_locked for a in activities)
        assert reload(dossier).sections.model.objects.get(
            organisation=org_a, dossier=dossier, code="A4").data["requirements"]["development-plan"]["answers"][
            "present"] == "New labour market tools."


def test_pdf_is_not_found_until_it_exists(client, org_a, alice, ready):
    dossier, _activities = ready
    response = client.get(url("dossier_pdf", org_a, pk=dossier.pk))
    assert response.status_code == 404
    assert "has not been submitted" in response.content.decode()
    with maintenance():  # submitted, but the worker has not rendered it yet
        submission_services.dossier_submit(dossier=reload(dossier), by=alice)
    response = client.get(url("dossier_pdf", org_a, pk=dossier.pk))
    assert response.status_code == 404
    assert "still being prepared" in response.content.decode()
    submission = submitted(dossier)
    render_submission_pdf(submission.pk, org_a.pk)
    render_submission_pdf(submission.pk, org_a.pk)  # a repeat does nothing
    assert client.get(url("dossier_pdf", org_a, pk=dossier.pk)).status_code == 200
    other = factories.member(org_a, "other@example.com", "professional")
    client.force_login(other)
    assert client.get(url("dossier_pdf", org_a, pk=dossier.pk)).status_code == 404


def test_the_pdf_fetches_only_our_own_static_files():
    fetcher = StaticFilesOnlyFetcher()
    css = fetcher.fetch("https://pdf.invalid/static/css/pdf.css")
    assert b"@page" in css.read()
    assert css.content_type == "text/css"
    for address in ("https://example.com/tracker.png", "file:///etc/passwd", "https://pdf.invalid/static/../x",
                    "https://pdf.invalid/static/nothing-here.css", "http://127.0.0.1:8000/admin/"):
        with pytest.raises(ValueError, match="static file"):
            fetcher.fetch(address)


def _peoplecert(org, holder, **fields):
    """A PeopleCert certificate whose current CPD year began about half a year ago."""
    today = timezone.localdate()
    began = today - dt.timedelta(days=180)
    exam = dt.date(began.year - 3, began.month, min(began.day, 28))
    return factories.certification(org, holder, "peoplecert-cpd", exam_passed_on=exam, **fields)


def test_peoplecert_yearly_submission_locks_this_years_activities(client, org_a, alice,
                                                                  django_capture_on_commit_callbacks):
    certification = _peoplecert(org_a, alice)
    today = timezone.localdate()
    this_year = [factories.activity(org_a, alice, "mentoring", today - dt.timedelta(days=5), 5),
                 factories.activity(org_a, alice, "podcasts-webinars", today - dt.timedelta(days=4), 15)]
    last_year = factories.activity(org_a, alice, "mentoring", today - dt.timedelta(days=400), 5)
    client.force_login(alice)
    dossier = start(client, org_a, certification)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("dossier_submit", org_a, pk=dossier.pk))
    assert response.status_code == 302, response.content.decode()
    submission = submitted(dossier)
    assert sorted(a["id"] for a in submission.snapshot["activities"]) == sorted(a.pk for a in this_year)
    with maintenance():
        assert Activity.objects.get(pk=last_year.pk).locked_by_id is None
        assert all(Activity.objects.get(pk=a.pk).locked_by_id == submission.pk for a in this_year)
    assert submission.snapshot["covered_certifications"][0]["number"] == certification.number


def test_peoplecert_submission_refused_once_membership_lapsed(client, org_a, alice):
    certification = _peoplecert(org_a, alice)
    today = timezone.localdate()
    factories.activity(org_a, alice, "mentoring", today - dt.timedelta(days=5), 5)
    factories.activity(org_a, alice, "podcasts-webinars", today - dt.timedelta(days=4), 15)
    client.force_login(alice)
    dossier = start(client, org_a, certification)
    lapsed = today - dt.timedelta(days=1)
    with maintenance():
        certification.membership_valid_until = lapsed
        certification.save(update_fields=["membership_valid_until"])
    response = client.post(url("dossier_submit", org_a, pk=dossier.pk))
    assert response.status_code == 422
    body = response.content.decode()
    assert "An active PeopleCert Plus membership is needed" in body
    assert f"lapsed on {lapsed.day} {lapsed.strftime('%B')} {lapsed.year}" in body
    assert reload(dossier).status == "draft"
