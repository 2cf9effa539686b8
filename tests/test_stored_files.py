"""Stored files are never orphaned or lost: rolled-back uploads leave nothing, the sweeper removes what no row
references once it is older than the grace period, and all of it works on S3-compatible object storage.

S3 runs for real: moto's server mode (`moto[server]` from PyPI) is started by this module on a free local port
(one per test process), each test gets a bucket of its own, and the storage is configured by the same settings
block production uses (read in a subprocess with STORAGE_BACKEND=s3).

Tests that roll a request back use `transaction=True`: only a real outermost transaction commits or rolls back
(pytest's ordinary `db` wraps each test in one transaction that never commits).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from accounts import storage as stored_files
from accounts.models import Organisation
from accounts.tenancy import maintenance
from dossiers.models import Dossier, Evidence, Submission
from tests import factories
from tests.test_evidence import PDF, PNG

ROOT = Path(__file__).resolve().parent.parent
OLD = time.time() - 2 * 24 * 3600  # two days ago: past the one-day grace period


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def upload(client, org, activity, name: str, content: bytes):
    return client.post(url("evidence_upload", org), {"activity": activity.pk, "file": SimpleUploadedFile(
        name, content, content_type="text/html")}, headers={"HX-Request": "true"})


def cast() -> tuple[Organisation, Organisation, object, object, object]:
    """Org A with Alice and an activity, org B with Charlie; made in maintenance mode (transactional tests)."""
    with maintenance():
        acme = factories.organisation(slug="acme", name="Acme Certification")
        bravo = factories.organisation(slug="bravo", name="Bravo Body")
        alice = factories.member(acme, "alice@example.com", "professional", first_name="Alice")
        charlie = factories.member(bravo, "charlie@example.com", "professional", "admin", first_name="Charlie")
        factories.certification(acme, alice)
        activity = factories.activity(acme, alice, "course", dt.date(2025, 3, 1), 8, title="Course")
    return acme, bravo, alice, charlie, activity


def evidence_in(org, owner, activity=None, content: bytes = PDF, name: str = "certificate.pdf") -> Evidence:
    with maintenance():
        activity = activity or factories.activity(org, owner, "course", dt.date(2025, 3, 1), 4)
        evidence = Evidence(organisation=org, owner=owner, activity=activity, original_name=name,
                            content_type="application/pdf", size=len(content),
                            sha256=hashlib.sha256(content).hexdigest())
        evidence.file.save(name, ContentFile(content), save=False)
        evidence.save()
    return evidence


def submission_in(org, owner) -> Submission:
    with maintenance():
        certification = factories.certification(org, owner, number=f"SUB-{uuid.uuid4().hex[:6]}")
        dossier = Dossier.objects.create(organisation=org, owner=owner, certification=certification,
                                         scheme_version=certification.scheme_version,
                                         reference_date=dt.date(2027, 6, 1), status=Dossier.Status.SUBMITTED)
        return Submission.objects.create(organisation=org, dossier=dossier, scheme_version=dossier.scheme_version,
                                         submitted_by=owner, submitted_at=timezone.now(), snapshot={},
                                         snapshot_sha256="0" * 64)


def fail_after_the_upload_is_stored(monkeypatch) -> None:
    """Something later in the request goes wrong, after evidence_attach stored the file and returned."""
    from dossiers.views import evidence as views

    def broken(*args, **kwargs):
        raise RuntimeError("the request failed after the upload")

    monkeypatch.setattr(views, "_list_context", broken)


# --- on the file system -------------------------------------------------------------------------------------

@pytest.fixture
def media(settings, tmp_path) -> Path:
    """The product's own file system storage (accounts.storage.FileSystemStorage) in a temporary directory."""
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "accounts.storage.FileSystemStorage", "OPTIONS": {"location": str(root), "base_url": None}}}
    return root


def files_in(root: Path) -> set[str]:
    return {path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()}


def age(root: Path, *names: str) -> None:
    for name in names:
        os.utime(root / name, (OLD, OLD))


def test_every_file_field_is_found_in_the_model_registry():
    from django.apps import apps
    from django.db import models

    found = {(model._meta.label, field.name) for model, field in stored_files.file_fields()}
    assert {("accounts.Organisation", "logo"), ("dossiers.Evidence", "file"),
            ("dossiers.Submission", "pdf")} <= found
    every = {(model._meta.label, field.name) for model in apps.get_models() if not model._meta.proxy
             for field in model._meta.get_fields() if isinstance(field, models.FileField)}
    assert found == every


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_upload_leaves_no_file(client, media, monkeypatch):
    acme, _bravo, alice, _charlie, activity = cast()
    client.force_login(alice)
    fail_after_the_upload_is_stored(monkeypatch)
    with pytest.raises(RuntimeError, match="after the upload"):
        upload(client, acme, activity, "certificate.pdf", PDF)
    with maintenance():
        assert not Evidence.objects.exists()
    assert files_in(media) == set()
    monkeypatch.undo()
    assert upload(client, acme, activity, "certificate.pdf", PDF).status_code == 200  # committed: kept
    with maintenance():
        evidence = Evidence.objects.get()
    assert files_in(media) == {evidence.file.name}


@pytest.mark.django_db(transaction=True)
def test_a_refusal_after_writing_keeps_what_the_view_wrote(client, media, monkeypatch):
    """Only errors (500) roll back: a 403/404 raised on purpose keeps, e.g., an audit record written first."""
    from django.core.exceptions import PermissionDenied

    from dossiers.views import evidence as views

    acme, _bravo, alice, _charlie, activity = cast()
    client.force_login(alice)

    def refused(*args, **kwargs):
        raise PermissionDenied("refused after writing")

    monkeypatch.setattr(views, "_list_context", refused)
    assert upload(client, acme, activity, "certificate.pdf", PDF).status_code == 403
    with maintenance():
        evidence = Evidence.objects.get()
    assert files_in(media) == {evidence.file.name}


@pytest.mark.django_db(transaction=True)
def test_a_pdf_rendered_by_a_task_that_rolls_back_leaves_no_file(media, monkeypatch):
    from dossiers import tasks

    acme, _bravo, alice, _charlie, _activity = cast()
    submission = submission_in(acme, alice)
    monkeypatch.setattr(tasks, "render_pdf", lambda snapshot: b"%PDF-1.4\n%%EOF\n")
    monkeypatch.setattr(Submission, "save", lambda self, **kwargs: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        tasks.render_submission_pdf(submission.pk, acme.pk)
    assert files_in(media) == set()


@pytest.mark.django_db(transaction=True)
def test_a_committed_file_is_kept_even_when_commit_hooks_fail(media):
    """The guard deletes only what no row references after the transaction, not what "missed" its hook."""
    from django.db import transaction

    acme, _bravo, alice, _charlie, activity = cast()

    def failing_hook() -> None:
        raise RuntimeError("an earlier commit hook failed")

    def store() -> None:
        with maintenance():
            transaction.on_commit(failing_hook)  # runs first, and stops the hooks after it
            evidence_in(acme, alice, activity)

    with pytest.raises(RuntimeError, match="earlier commit hook"):
        store()
    with maintenance():
        assert files_in(media) == {Evidence.objects.get().file.name}
    with maintenance():
        assert Evidence.objects.get().file.read() == PDF


def test_a_file_written_inside_an_open_transaction_is_left_to_the_transaction(media, db):
    """Inside someone else's transaction the guard does nothing: only the outermost one knows the outcome."""
    with stored_files.stored_files_guard():
        name = default_storage.save("evidence/inner", ContentFile(b"x"))
    assert files_in(media) == {name}


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_removes_old_orphans_and_keeps_the_rest(media):
    acme, bravo, alice, charlie, _activity = cast()
    kept = [evidence_in(acme, alice).file.name, evidence_in(bravo, charlie).file.name]
    submission = submission_in(bravo, charlie)
    with maintenance():
        submission.pdf.save("dossier.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
        acme.logo.save("logo.png", ContentFile(PNG))
        old_logo = default_storage.save("branding/old-logo.png", ContentFile(PNG))  # replaced since
    kept += [submission.pdf.name, acme.logo.name]
    orphan = default_storage.save(f"evidence/{acme.pk}/{uuid.uuid4().hex}", ContentFile(b"rolled back long ago"))
    in_flight = default_storage.save(f"evidence/{bravo.pk}/{uuid.uuid4().hex}", ContentFile(b"just stored"))
    assert all(kept)  # every stored file has its name
    age(media, *[name for name in kept if name], old_logo, orphan)

    out = io.StringIO()
    call_command("sweep_orphan_files", "--dry-run", stdout=out)
    report = out.getvalue()
    assert f"Would delete {orphan}  0.0 KiB  last changed" in report
    assert f"Would delete {old_logo}" in report
    assert ("Would delete 2 unreferenced file(s) older than 24 hours. Scanned 7: 4 referenced, 1 younger than "
            "24 hours (kept).") in report
    assert files_in(media) == {*kept, old_logo, orphan, in_flight}  # a dry run deletes nothing

    out = io.StringIO()
    call_command("sweep_orphan_files", stdout=out)
    assert f"Deleted {orphan}" in out.getvalue()
    assert files_in(media) == {*kept, in_flight}
    out = io.StringIO()
    call_command("sweep_orphan_files", stdout=out)  # idempotent
    assert "Deleted 0 unreferenced file(s)" in out.getvalue()
    # Every referenced file is still readable through its row.
    with maintenance():
        for evidence in Evidence.objects.all():
            assert evidence.file.read() == PDF


def test_the_grace_period_is_a_setting_and_has_a_floor(media, db, settings):
    name = default_storage.save("evidence/orphan", ContentFile(b"x"))
    os.utime(media / name, (time.time() - 3 * 3600,) * 2)  # three hours old
    assert stored_files.stored_files_sweep(dry_run=True).orphans == []
    settings.STORED_FILES_GRACE_HOURS = 2
    assert [stored.name for stored in stored_files.stored_files_sweep(dry_run=True).orphans] == [name]
    with pytest.raises(CommandError, match="at least 1"):
        call_command("sweep_orphan_files", "--grace-hours", "0.5")
    assert files_in(media) == {name}


def test_the_sweeper_copes_with_a_media_root_not_made_yet(settings, tmp_path, db):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "accounts.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path / "none")}}}
    assert stored_files.stored_files_sweep().scanned == 0


def test_beat_enqueues_the_sweep_daily_and_the_task_is_registered(media, db, settings):
    from celery.schedules import crontab

    from accounts.tasks import stored_files_sweep_task
    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["stored-files-sweep"]
    assert entry["task"] == "accounts.tasks.stored_files_sweep_task"
    assert isinstance(entry["schedule"], crontab)
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    name = default_storage.save("evidence/orphan", ContentFile(b"x"))
    os.utime(media / name, (OLD, OLD))
    summary = stored_files_sweep_task.apply().get()
    assert summary == {"dry_run": False, "grace_hours": 24.0, "scanned": 1, "referenced": 0, "recent": 0,
                       "orphans": 1, "failed": 0}
    assert files_in(media) == set()


# --- S3-compatible object storage (moto's server, for real over HTTP) ----------------------------------------

@pytest.fixture(scope="session")
def s3_server():
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in every failure report
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def s3_settings(s3_server) -> dict:
    """STORAGES["default"] exactly as config/settings.py builds it from the environment for STORAGE_BACKEND=s3."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STORAGE_BACKEND": "s3",
           "AWS_STORAGE_BUCKET_NAME": "placeholder", "AWS_S3_ENDPOINT_URL": s3_server,
           "AWS_S3_REGION_NAME": "eu-west-1", "AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret",
           "AWS_S3_ADDRESSING_STYLE": "path"}
    script = "import json; from config import settings; print(json.dumps(settings.STORAGES['default']))"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            check=True)
    return json.loads(result.stdout)


def test_s3_settings_come_from_the_environment(s3_settings, s3_server):
    assert s3_settings["BACKEND"] == "accounts.storage.S3Storage"
    options = s3_settings["OPTIONS"]
    assert (options["endpoint_url"], options["region_name"], options["access_key"]) == (
        s3_server, "eu-west-1", "test-key")
    assert options["default_acl"] is None  # no public ACL: objects are as private as the bucket
    assert options["file_overwrite"] is False
    result = subprocess.run([sys.executable, "-c", "from config import settings"], cwd=ROOT, capture_output=True,
                            text=True, env={"PATH": os.environ.get("PATH", ""), "STORAGE_BACKEND": "s3"}, check=False)
    assert result.returncode != 0
    assert "AWS_STORAGE_BUCKET_NAME" in result.stderr


class Bucket:
    def __init__(self, client, name: str) -> None:
        self.client, self.name = client, name

    def keys(self) -> set[str]:
        return {item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", ())}


@pytest.fixture
def bucket(settings, s3_settings, s3_server, monkeypatch) -> Bucket:
    """A fresh private bucket on the local S3 server, configured as the default storage.

    django-storages' S3File, which downloads an object whole before the first byte is read, is made to fail:
    every read in these tests must stream (accounts.storage.open_stream).
    """
    from storages.backends.s3 import S3File

    def whole_download(self):
        raise AssertionError(f"{self.name} was downloaded whole instead of streamed")

    monkeypatch.setattr(S3File, "_get_file", whole_download)
    options = {**s3_settings["OPTIONS"], "bucket_name": f"recert-{uuid.uuid4().hex[:12]}"}
    client = boto3.client("s3", endpoint_url=s3_server, region_name=options["region_name"],
                          aws_access_key_id="test-key", aws_secret_access_key="test-secret")
    client.create_bucket(Bucket=options["bucket_name"],
                         CreateBucketConfiguration={"LocationConstraint": options["region_name"]})
    settings.STORAGES = {**settings.STORAGES, "default": {**s3_settings, "OPTIONS": options}}
    return Bucket(client, options["bucket_name"])


@pytest.mark.django_db
def test_s3_upload_and_streamed_download_through_the_permission_check(client, bucket, org_a, org_b, alice, charlie):
    factories.certification(org_a, alice)
    activity = factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 8)
    content = PDF + b"% padding\n" * 50_000  # half a megabyte: many chunks
    client.force_login(alice)
    response = upload(client, org_a, activity, "certificate.pdf", content)
    assert response.status_code == 200, response.content
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    assert bucket.keys() == {evidence.file.name}
    assert evidence.file.name.startswith(f"evidence/{org_a.pk}/")
    head = bucket.client.head_object(Bucket=bucket.name, Key=evidence.file.name)
    assert head["ContentType"] == "application/octet-stream"  # not the uploader's "text/html"
    assert head["ContentDisposition"] == "attachment"
    grants = bucket.client.get_object_acl(Bucket=bucket.name, Key=evidence.file.name)["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only: private
    assert all("URI" not in grant["Grantee"] for grant in grants)  # no AllUsers / AuthenticatedUsers

    download = client.get(url("evidence_download", org_a, pk=evidence.pk))
    assert download.status_code == 200
    assert download.streaming
    assert download["Content-Length"] == str(len(content))
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == content
    assert bucket.name not in download.headers.get("Location", "")

    client.force_login(charlie)
    assert client.get(url("evidence_download", org_a, pk=evidence.pk)).status_code == 404
    bucket.client.delete_object(Bucket=bucket.name, Key=evidence.file.name)
    client.force_login(alice)
    gone = client.get(url("evidence_download", org_a, pk=evidence.pk))
    assert gone.status_code == 404
    assert "no longer in storage" in gone.content.decode()


@pytest.mark.django_db(transaction=True)
def test_s3_a_rolled_back_upload_leaves_no_object(client, bucket, monkeypatch):
    acme, _bravo, alice, _charlie, activity = cast()
    client.force_login(alice)
    fail_after_the_upload_is_stored(monkeypatch)
    with pytest.raises(RuntimeError, match="after the upload"):
        upload(client, acme, activity, "certificate.pdf", PDF)
    assert bucket.keys() == set()
    monkeypatch.undo()
    assert upload(client, acme, activity, "certificate.pdf", PDF).status_code == 200
    with maintenance():
        assert bucket.keys() == {Evidence.objects.get().file.name}


@pytest.mark.django_db(transaction=True)
def test_s3_the_sweeper_dry_run_then_for_real(bucket):
    acme, bravo, alice, charlie, _activity = cast()
    kept = {evidence_in(acme, alice).file.name, evidence_in(bravo, charlie).file.name}
    orphan = default_storage.save(f"evidence/{acme.pk}/{uuid.uuid4().hex}", ContentFile(b"orphan"))
    assert bucket.keys() == {*kept, orphan}
    # Objects cannot be back-dated in S3, so the sweep is run as of two days from now.
    later = timezone.now() + dt.timedelta(days=2)
    assert stored_files.stored_files_sweep(dry_run=True).orphans == []  # everything is younger than a day
    dry = stored_files.stored_files_sweep(dry_run=True, now=later)
    assert [stored.name for stored in dry.orphans] == [orphan]
    assert dry.orphans[0].size == len(b"orphan")
    assert (dry.scanned, dry.referenced) == (3, 2)
    assert bucket.keys() == {*kept, orphan}
    swept = stored_files.stored_files_sweep(now=later)
    assert [stored.name for stored in swept.orphans] == [orphan]
    assert bucket.keys() == kept


@pytest.mark.django_db
def test_s3_submission_rehashes_evidence_and_renders_the_pdf(client, bucket, org_a, alice,
                                                             django_capture_on_commit_callbacks):
    from tests.test_dossiers import complete_noloc, noloc, pe_points, start

    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))
    pe_points(org_a, alice)
    complete_noloc(client, org_a, dossier)
    with maintenance():
        cv = Evidence.objects.get(organisation=org_a, section__dossier=dossier)
    assert cv.file.name in bucket.keys()  # noqa: SIM118

    # A file changed in the bucket behind the application's back is caught by the re-hash (read streamed).
    original = bucket.client.get_object(Bucket=bucket.name, Key=cv.file.name)["Body"].read()
    bucket.client.put_object(Bucket=bucket.name, Key=cv.file.name, Body=original + b"tampered")
    refused = client.post(url("dossier_submit", org_a, pk=dossier.pk))
    assert refused.status_code == 422
    assert "has changed since it was uploaded" in refused.content.decode()
    bucket.client.put_object(Bucket=bucket.name, Key=cv.file.name, Body=original)

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("dossier_submit", org_a, pk=dossier.pk)).status_code == 302
    with maintenance():
        submission = Submission.objects.get(organisation=org_a, dossier=dossier)
    assert submission.pdf.name in bucket.keys()  # noqa: SIM118
    assert submission.snapshot["evidence"][0]["sha256"] == hashlib.sha256(original).hexdigest()
    pdf = client.get(url("dossier_pdf", org_a, pk=dossier.pk))
    assert pdf.status_code == 200
    assert pdf["Content-Disposition"].startswith("attachment;")
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF")
    assert pdf["Content-Length"] == str(len(body))


@pytest.mark.django_db
def test_s3_personal_data_archive_streams_evidence(client, bucket, org_a, alice):
    import zipfile

    from dossiers.services.mydata import mydata_archive

    evidence = evidence_in(org_a, alice, content=PDF * 100)
    archive = mydata_archive(user=alice, requested_in=org_a)
    with zipfile.ZipFile(archive) as zf:
        files = [name for name in zf.namelist() if name != "data.json"]
        assert len(files) == 1
        assert zf.read(files[0]) == PDF * 100
    assert evidence.file.name in bucket.keys()  # noqa: SIM118
