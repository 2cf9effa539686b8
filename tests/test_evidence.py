"""Evidence files: recognised by content, size-limited before anything is stored, hashed, and downloaded only
through the permission check, as attachments."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from accounts.access import register_rule, unregister_rule
from accounts.models import AuditEvent
from accounts.tenancy import maintenance
from dossiers.models import Dossier, DossierSection, Evidence
from dossiers.services import evidence as services
from portfolios import evidence_files
from tests import factories
from tests.test_activities import lock

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 40 + b"\xff\xd9"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120
MZ = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 120
HTML = b"<!DOCTYPE html><html><head><script>alert(document.cookie)</script></head><body></body></html>"


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>')
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>')
WORD_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    '<w:p><w:r><w:t>Statement of attendance</w:t></w:r></w:p></w:body></w:document>')
ODT_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
    'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    '</manifest:manifest>')


def docx_bytes(*, macro: bool = False, content_types: str | None = CONTENT_TYPES, document: bool = True,
               extra: dict[str, bytes] | None = None) -> bytes:
    """A Word document as Word writes it: deflated parts, content types declaring the main document."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if content_types is not None:
            archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        if document:
            archive.writestr("word/document.xml", WORD_DOCUMENT)
        if macro:
            archive.writestr("word/vbaProject.bin", b"\x00" * 16)
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()


def odt_bytes(mimetype: str = "application/vnd.oasis.opendocument.text", *, manifest: str | None = ODT_MANIFEST,
              mimetype_compressed: bool = False, mimetype_first: bool = True) -> bytes:
    """An OpenDocument text as LibreOffice writes it: `mimetype` first and stored, then the rest deflated."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        def write_mimetype() -> None:
            archive.writestr(zipfile.ZipInfo("mimetype"), mimetype,
                             compress_type=zipfile.ZIP_DEFLATED if mimetype_compressed else zipfile.ZIP_STORED)
        if mimetype_first:
            write_mimetype()
        archive.writestr("content.xml", '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:'
                                        'xmlns:office:1.0"/>')
        if manifest is not None:
            archive.writestr("META-INF/manifest.xml", manifest)
        if not mimetype_first:
            write_mimetype()
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Evidence goes to pytest's temporary directory, never into the repository."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root), "base_url": None}}}
    return root


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def stored(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def activity(org_a, alice):
    factories.certification(org_a, alice)
    return factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 8, title="Course")


def upload(client, org, activity, name: str, content: bytes, *, htmx: bool = True):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url("evidence_upload", org), {"activity": activity.pk, "file": SimpleUploadedFile(
        name, content, content_type="application/pdf"), "next": url("activity_edit", org, pk=activity.pk)},
        headers=headers)


# --- recognised by content -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "detected"), [
    ("certificate.pdf", PDF, evidence_files.PDF),
    ("photo.png", PNG, evidence_files.PNG),
    ("scan.jpg", JPEG, evidence_files.JPEG),
    ("statement.docx", docx_bytes(), evidence_files.DOCX),
    ("statement.odt", odt_bytes(), evidence_files.ODT),
])
def test_accepted_types_are_detected_by_content(client, org_a, alice, activity, media, name, content, detected):
    client.force_login(alice)
    response = upload(client, org_a, activity, name, content)
    assert response.status_code == 200, response.content
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    assert evidence.content_type == detected
    assert evidence.size == len(content)
    assert evidence.original_name == name
    assert name in response.content.decode()
    assert f'id="evidence-list-activity-{activity.pk}"' in response.content.decode()
    assert len(stored(media)) == 1


@pytest.mark.parametrize(("name", "content"), [
    ("certificate.pdf", ELF),
    ("certificate.pdf", MZ),
    ("certificate.pdf", HTML),
    ("notes.pdf", b"just some text, no PDF at all"),
])
def test_a_file_whose_content_is_not_an_accepted_type_is_refused(client, org_a, alice, activity, media, name,
                                                                 content):
    client.force_login(alice)
    response = upload(client, org_a, activity, name, content)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert f"“{name}” is not a PDF, PNG, JPEG, DOCX or ODT file" in response.content.decode()
    assert not Evidence.objects.filter(organisation=org_a).exists()
    assert stored(media) == []


def test_an_empty_file_is_refused(client, org_a, alice, activity, media):
    client.force_login(alice)
    response = upload(client, org_a, activity, "empty.pdf", b"")
    assert response.status_code == 400
    assert not Evidence.objects.filter(organisation=org_a).exists()
    assert stored(media) == []


# --- size limits -------------------------------------------------------------------------------------------

def test_an_oversize_file_is_refused_before_it_is_stored(client, org_a, alice, activity, media, settings,
                                                        monkeypatch):
    settings.EVIDENCE_MAX_FILE_BYTES = 1024 * 1024
    client.force_login(alice)
    big = PDF + b"0" * (1024 * 1024)
    attached = []
    monkeypatch.setattr(services, "evidence_attach", lambda **kwargs: attached.append(kwargs))
    response = upload(client, org_a, activity, "big.pdf", big)
    monkeypatch.undo()
    assert attached == []  # cut off while streaming in: the service never even saw it
    assert response.status_code == 400
    assert "“big.pdf” is larger than 1 MB, the most a single file may be." in response.content.decode()
    assert stored(media) == []
    assert not Evidence.objects.filter(organisation=org_a).exists()
    # The service refuses it too, for callers that bring their own file.
    with pytest.raises(ValidationError) as refused:
        services.evidence_attach(by=alice, organisation=org_a, activity=activity,
                                 upload=SimpleUploadedFile("big.pdf", big))
    assert refused.value.code == "too_large"
    assert stored(media) == []
    assert not Evidence.objects.filter(organisation=org_a).exists()


def test_the_upload_handler_stops_reading_an_oversize_file():
    handler = evidence_files.SizeLimitUploadHandler(limit=10)
    handler.new_file("file", "big.pdf", "application/pdf", 100)
    assert handler.receive_data_chunk(b"x" * 8, 0) == b"x" * 8
    with pytest.raises(evidence_files.SkipFile):
        handler.receive_data_chunk(b"x" * 8, 8)
    assert handler.too_large == [("big.pdf", 16)]


def test_the_per_professional_total_is_enforced(client, org_a, alice, activity, media, settings):
    settings.EVIDENCE_MAX_TOTAL_BYTES = 1024 * 1024
    client.force_login(alice)
    first = PDF + b"0" * 700_000
    assert upload(client, org_a, activity, "first.pdf", first).status_code == 200
    response = upload(client, org_a, activity, "second.pdf", first)
    assert response.status_code == 400
    body = response.content.decode()
    assert "“second.pdf” (0.7 MB) does not fit: your evidence may take up at most 1 MB and 0.3 MB is left." in body
    assert Evidence.objects.filter(organisation=org_a, owner=alice).count() == 1
    assert len(stored(media)) == 1
    # Another professional has their own allowance.
    dave = factories.member(org_a, "dave@example.com", "professional")
    dave_activity = factories.activity(org_a, dave, "course", dt.date(2025, 3, 1), 8)
    client.force_login(dave)
    assert upload(client, org_a, dave_activity, "dave.pdf", first).status_code == 200


# --- hashing, storage names, download ------------------------------------------------------------------------

def test_stored_hash_matches_and_download_is_an_attachment_with_the_detected_type(client, org_a, alice, activity,
                                                                                   media):
    client.force_login(alice)
    content = PDF + b"% padding\n" * 10_000  # several chunks
    upload(client, org_a, activity, "../../etc/Certificate 2025.pdf", content)
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.original_name == "Certificate 2025.pdf"
    assert "Certificate" not in evidence.file.name
    assert evidence.file.name.startswith(f"evidence/{org_a.pk}/")
    assert (media / evidence.file.name).read_bytes() == content
    response = client.get(url("evidence_download", org_a, pk=evidence.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "Certificate 2025.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content
    assert AuditEvent.objects.filter(organisation=org_a, action="evidence.upload").count() == 1


def test_a_download_carries_the_extension_of_its_real_type(client, org_a, alice, activity):
    client.force_login(alice)
    upload(client, org_a, activity, "scan.html", PDF)
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    response = client.get(url("evidence_download", org_a, pk=evidence.pk))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="scan.html.pdf"' in response["Content-Disposition"]


def test_only_the_owner_can_download(client, org_a, org_b, alice, bob, charlie, activity):
    client.force_login(alice)
    upload(client, org_a, activity, "mine.pdf", PDF)
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    download = url("evidence_download", org_a, pk=evidence.pk)
    dave = factories.member(org_a, "dave@example.com", "professional")
    client.force_login(dave)
    assert client.get(download).status_code == 404  # another professional
    client.force_login(bob)
    assert client.get(download).status_code == 404  # an assessor not assigned to it
    client.force_login(charlie)
    assert client.get(download).status_code == 404  # another organisation's member
    assert client.get(url("evidence_download", org_b, pk=evidence.pk)).status_code == 404
    client.logout()
    anonymous = client.get(download)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))


def test_visibility_rules_extend_who_may_download(client, org_a, alice, bob, activity):
    client.force_login(alice)
    upload(client, org_a, activity, "mine.pdf", PDF)
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)

    def assessor_sees_alice(access):
        return Q(owner=alice) if access.user == bob and not access.write else None

    register_rule("evidence", assessor_sees_alice)
    try:
        client.force_login(bob)
        assert client.get(url("evidence_download", org_a, pk=evidence.pk)).status_code == 200
    finally:
        unregister_rule("evidence", assessor_sees_alice)
    assert client.get(url("evidence_download", org_a, pk=evidence.pk)).status_code == 404


def test_uploading_to_someone_elses_activity_is_404(client, org_a, alice, activity, media):
    dave = factories.member(org_a, "dave@example.com", "professional")
    client.force_login(dave)
    assert upload(client, org_a, activity, "x.pdf", PDF).status_code == 404
    assert stored(media) == []


# --- without JavaScript, delete, locked parents -------------------------------------------------------------

def test_upload_without_javascript_redirects_back_with_a_message(client, org_a, alice, activity):
    client.force_login(alice)
    response = upload(client, org_a, activity, "plain.pdf", PDF, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == url("activity_edit", org_a, pk=activity.pk)
    page = client.get(response["Location"]).content.decode()
    assert "“plain.pdf” has been uploaded." in page
    assert "plain.pdf" in page
    bad = upload(client, org_a, activity, "bad.pdf", HTML, htmx=False)
    assert bad.status_code == 302
    assert "is not a PDF, PNG, JPEG, DOCX or ODT file" in client.get(bad["Location"]).content.decode()


def test_edit_page_has_an_accessible_drop_zone(client, org_a, alice, activity):
    client.force_login(alice)
    body = client.get(url("activity_edit", org_a, pk=activity.pk)).content.decode()
    assert '<label class="evidence-drop' in body
    assert f'type="file" name="file" id="evidence-file-evidence-list-activity-{activity.pk}" multiple' in body
    assert 'enctype="multipart/form-data"' in body
    assert 'role="status" aria-live="polite"' in body
    assert "/static/js/evidence-upload.js" in body


def test_delete_asks_first_and_removes_the_file(client, org_a, alice, activity, media,
                                                django_capture_on_commit_callbacks):
    client.force_login(alice)
    upload(client, org_a, activity, "old.pdf", PDF)
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    confirm = client.get(url("evidence_delete", org_a, pk=evidence.pk))
    assert confirm.status_code == 200
    assert "Delete “old.pdf”?" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("evidence_delete", org_a, pk=evidence.pk))
    assert response.status_code == 302
    assert not Evidence.objects.filter(organisation=org_a).exists()
    assert stored(media) == []
    assert AuditEvent.objects.filter(organisation=org_a, action="evidence.delete").count() == 1


def test_deleting_an_activity_removes_its_files(client, org_a, alice, activity, media,
                                                django_capture_on_commit_callbacks):
    client.force_login(alice)
    upload(client, org_a, activity, "one.pdf", PDF)
    upload(client, org_a, activity, "two.png", PNG)
    assert len(stored(media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("activity_delete", org_a, pk=activity.pk))
    assert not Evidence.objects.filter(organisation=org_a).exists()
    assert stored(media) == []


def test_locked_activity_evidence_cannot_change(client, org_a, alice, activity, media):
    client.force_login(alice)
    upload(client, org_a, activity, "kept.pdf", PDF)
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    lock(activity, org_a, alice)
    assert client.get(url("evidence_delete", org_a, pk=evidence.pk)).status_code == 403
    assert client.post(url("evidence_delete", org_a, pk=evidence.pk)).status_code == 403
    response = upload(client, org_a, activity, "late.pdf", PDF)
    assert response.status_code == 400
    assert "submitted dossier" in response.content.decode()
    assert Evidence.objects.filter(organisation=org_a).count() == 1
    assert client.get(url("evidence_download", org_a, pk=evidence.pk)).status_code == 200


# --- dossier sections ---------------------------------------------------------------------------------------

@pytest.fixture
def section(org_a, alice):
    certification = factories.certification(org_a, alice, number="NL-S")
    with maintenance():
        dossier = Dossier.objects.create(organisation=org_a, owner=alice, certification=certification,
                                         scheme_version=certification.scheme_version,
                                         reference_date=dt.date(2027, 6, 1))
        return DossierSection.objects.create(organisation=org_a, dossier=dossier, code="A1")


def test_files_attach_to_a_dossier_sections_requirement(client, org_a, alice, section, media):
    client.force_login(alice)
    response = client.post(url("evidence_upload", org_a), {"section": section.pk, "requirement": "cv",
                                                           "file": SimpleUploadedFile("cv.pdf", PDF)},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="evidence-list-section-{section.pk}-cv"' in response.content.decode()
    evidence = Evidence.objects.get(organisation=org_a, section=section)
    assert (evidence.requirement_code, evidence.activity_id) == ("cv", None)
    # The CV takes one file; a second is refused until the first is deleted.
    second = client.post(url("evidence_upload", org_a), {"section": section.pk, "requirement": "cv",
                                                         "file": SimpleUploadedFile("cv2.pdf", PDF)},
                         headers={"HX-Request": "true"})
    assert second.status_code == 400
    assert "takes one file" in second.content.decode()
    unknown = client.post(url("evidence_upload", org_a), {"section": section.pk, "requirement": "nonsense",
                                                          "file": SimpleUploadedFile("x.pdf", PDF)},
                          headers={"HX-Request": "true"})
    assert unknown.status_code == 400
    assert len(stored(media)) == 1


def test_a_section_of_someone_else_or_a_submitted_dossier_takes_no_files(client, org_a, alice, section, media):
    dave = factories.member(org_a, "dave@example.com", "professional")
    client.force_login(dave)
    response = client.post(url("evidence_upload", org_a), {"section": section.pk, "requirement": "cv",
                                                           "file": SimpleUploadedFile("cv.pdf", PDF)})
    assert response.status_code == 404
    with maintenance():
        Dossier.objects.filter(organisation=org_a, pk=section.dossier_id).update(status=Dossier.Status.SUBMITTED)
    section.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        services.evidence_attach(by=alice, organisation=org_a, section=DossierSection.objects.select_related(
            "dossier").get(organisation=org_a, pk=section.pk), requirement_code="cv",
            upload=SimpleUploadedFile("cv.pdf", PDF))
    assert refused.value.code == "locked"
    assert stored(media) == []


def test_uploads_still_need_the_csrf_token(org_a, alice, activity, media):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    response = strict.post(url("evidence_upload", org_a), {"activity": activity.pk,
                                                           "file": SimpleUploadedFile("x.pdf", PDF)})
    assert response.status_code == 403
    assert stored(media) == []
    page = strict.get(url("activity_edit", org_a, pk=activity.pk))
    token = page.cookies["csrftoken"].value
    accepted = strict.post(url("evidence_upload", org_a), {"activity": activity.pk, "csrfmiddlewaretoken": token,
                                                           "file": SimpleUploadedFile("x.pdf", PDF)})
    assert accepted.status_code == 302
    assert len(stored(media)) == 1


# --- in a browser: the live preview and the drop zone's script ------------------------------------------------

@pytest.fixture
def browser_page(new_page):
    """A Chromium page (the shared one of tests/conftest.py) against the live server."""
    return new_page()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_live_preview_and_drag_free_upload_in_a_browser(browser_page, tmp_path, media):
    from playwright.sync_api import expect

    with maintenance():
        acme = factories.organisation(slug="acme", name="Acme Certification")
        alice = factories.member(acme, "alice@example.com", "professional", first_name="Alice")
        factories.certification(acme, alice, "peoplecert-cpd", exam_passed_on=dt.date(2023, 4, 30))
        factories.activity(acme, alice, "attending-events", dt.date(2026, 5, 10), 12, title="Meetup")
    page = browser_page
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()

    page.goto("/acme/activities/new/")
    page.get_by_label("Activity type").select_option("forum-contributions")
    expect(page.get_by_label("Hours")).to_be_visible()  # the type's fields arrived by htmx
    expect(page.get_by_text("Points = Hours × 1")).to_be_visible()
    page.get_by_label("Hours").fill("6")
    page.get_by_label("Title").fill("Answering questions on the forum")
    expect(page.locator("#activity-preview")).to_contain_text(
        "6 points, 3 count: The Community cap of 15 per CPD year is reached.")
    page.get_by_label("Hours").fill("16")
    expect(page.locator("#activity-preview")).to_contain_text("16 points is above the per-activity maximum of 15")
    page.get_by_label("Hours").fill("2")
    page.get_by_role("button", name="Save activity").click()
    expect(page.get_by_text("has been added. You can now upload its evidence.")).to_be_visible()

    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(PDF)
    page.locator('input[type="file"]').set_input_files(str(certificate))
    expect(page.locator(".evidence-list")).to_contain_text("certificate.pdf")
    expect(page.get_by_role("status").last).to_contain_text("“certificate.pdf” has been uploaded.")
    fake = tmp_path / "invoice.pdf"
    fake.write_bytes(HTML)
    page.locator('input[type="file"]').set_input_files(str(fake))
    expect(page.get_by_role("status").last).to_contain_text("“invoice.pdf” is not a PDF, PNG, JPEG, DOCX or ODT file")
    with maintenance():
        assert list(Evidence.objects.values_list("original_name", flat=True)) == ["certificate.pdf"]
