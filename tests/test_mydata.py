"""Your data: the archive of everything about you, and the deletion request from asking to carrying out."""

import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Membership, User
from accounts.tenancy import maintenance
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest, Submission
from portfolios.models import Activity, CertificationStatusChange, DeletionRequest
from tests import factories

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n% a small evidence file\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def url(name, org, **kwargs):
    return reverse(name, kwargs={"org": org.slug, **kwargs})


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}


def evidence(org, owner, name, content, **parent):
    with maintenance():
        item = Evidence(organisation=org, owner=owner, original_name=name, content_type="application/pdf",
                        size=len(content), sha256=hashlib.sha256(content).hexdigest(), **parent)
        item.file.save(name, ContentFile(content), save=False)
        item.save()
    return item


@pytest.fixture
def portfolio(org_a, ada, alice):
    """Alice in org A: a certification with history, a submitted dossier (with a locked activity and its file),
    a draft dossier with a section, a statement and a file, and a free activity with a file."""
    certification = factories.certification(org_a, alice, number="NL-1", by=ada)
    with maintenance():
        CertificationStatusChange.objects.create(organisation=org_a, certification=certification, from_status="",
                                                 to_status="active", note="Created", changed_by=ada)
        submitted = Dossier.objects.create(organisation=org_a, owner=alice, certification=certification,
                                           scheme_version=certification.scheme_version,
                                           reference_date=dt.date(2023, 6, 1), status=Dossier.Status.SUBMITTED,
                                           submitted_at=timezone.now())
        submission = Submission.objects.create(organisation=org_a, dossier=submitted, submitted_by=alice,
                                               scheme_version=certification.scheme_version,
                                               submitted_at=timezone.now(), snapshot={"sections": {"A1": "cv"}},
                                               snapshot_sha256="1" * 64)
        draft = Dossier.objects.create(organisation=org_a, owner=alice, certification=certification,
                                       scheme_version=certification.scheme_version,
                                       reference_date=dt.date(2027, 6, 1))
        section = DossierSection.objects.create(organisation=org_a, dossier=draft, code="A4",
                                                data={"future": "Learn more"})
        StatementRequest.objects.create(organisation=org_a, dossier=draft, section_code="A3.1",
                                        requirement_code="meeting", signer_name="Fay Facilitator",
                                        signer_email="fay@example.com", token_hash="f" * 64,
                                        expires_at=timezone.now() + dt.timedelta(days=14))
    locked = factories.activity(org_a, alice, "course", dt.date(2022, 3, 1), 30, locked_by=submission)
    free = factories.activity(org_a, alice, "workshop", dt.date(2025, 3, 1), 4, title="Workshop on ethics")
    return {
        "certification": certification, "submitted": submitted, "submission": submission, "draft": draft,
        "locked": locked, "free": free,
        "locked_file": evidence(org_a, alice, "certificate.pdf", PDF, activity=locked),
        "free_file": evidence(org_a, alice, "../../etc/Proof of attendance?.pdf", PNG, activity=free),
        "draft_file": evidence(org_a, alice, "cv.pdf", b"%PDF-1.4 cv", section=section),
    }


def archive(client, org):
    response = client.get(url("mydata_export", org))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_every_member_has_a_your_data_page(client, org_a, bob):
    client.force_login(bob)
    page = client.get(url("mydata", org_a)).content.decode()
    assert "Download my data (ZIP)" in page
    assert "Ask for my account to be deleted" in page


def test_the_archive_holds_data_json_and_the_evidence_bytes(client, org_a, org_b, ada, alice, charlie, portfolio):
    factories.member(org_b, alice.email, "professional")
    factories.activity(org_b, alice, "webinar", dt.date(2025, 1, 1), 2, title="Bravo webinar")
    other = factories.member(org_a, "pat@example.com", "professional")
    evidence(org_a, other, "pat.pdf", b"%PDF pat")
    client.force_login(alice)
    zf = archive(client, org_a)
    names = set(zf.namelist())
    free_name = f"evidence/{portfolio['free_file'].pk}-Proof_of_attendance_.pdf"
    assert names == {"data.json", f"evidence/{portfolio['locked_file'].pk}-certificate.pdf", free_name,
                     f"evidence/{portfolio['draft_file'].pk}-cv.pdf"}
    assert zf.read(free_name) == PNG
    assert zf.read(f"evidence/{portfolio['locked_file'].pk}-certificate.pdf") == PDF
    raw = zf.read("data.json").decode()
    data = json.loads(raw)
    assert data["profile"]["email"] == "alice@example.com"
    by_org = {entry["organisation"]["slug"]: entry for entry in data["organisations"]}
    assert set(by_org) == {"acme", "bravo"}
    acme = by_org["acme"]
    assert acme["membership"]["roles"] == ["professional"]
    assert acme["certifications"][0]["number"] == "NL-1"
    assert acme["certifications"][0]["status_history"][0]["note"] == "Created"
    assert {a["title"] for a in acme["activities"]} == {"Course", "Workshop on ethics"}
    assert [a["title"] for a in by_org["bravo"]["activities"]] == ["Bravo webinar"]
    dossiers = {d["status"]: d for d in acme["dossiers"]}
    assert dossiers["submitted"]["submission"]["snapshot"] == {"sections": {"A1": "cv"}}
    assert dossiers["draft"]["sections"] == [{"code": "A4", "data": {"future": "Learn more"},
                                              "updated_at": dossiers["draft"]["sections"][0]["updated_at"]}]
    assert dossiers["draft"]["statements"][0]["signer_name"] == "Fay Facilitator"
    assert "f" * 64 not in raw
    assert "token" not in raw
    files = {e["archive_path"]: e for e in acme["evidence"]}
    assert files[free_name]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert files[free_name]["included"]
    assert "pat.pdf" not in raw
    assert "pat@example.com" not in raw
    assert AuditEvent.objects.filter(action="mydata.export", actor=alice).count() == 2  # one per organisation


def test_a_missing_stored_file_is_noted_not_fatal(client, org_a, alice, portfolio):
    default_storage.delete(portfolio["free_file"].file.name)
    client.force_login(alice)
    zf = archive(client, org_a)
    entries = json.loads(zf.read("data.json"))["organisations"][0]["evidence"]
    assert [e["included"] for e in entries if e["id"] == portfolio["free_file"].pk] == [False]


def test_asking_for_deletion_creates_one_request_per_organisation(client, org_a, org_b, alice):
    factories.member(org_b, alice.email, "professional")
    client.force_login(alice)
    page = client.get(url("mydata_delete_request", org_a)).content.decode()
    assert "Dossiers you have submitted are kept" in page
    assert "Bravo Body" in page
    response = client.post(url("mydata_delete_request", org_a), {"reason": "Leaving the profession"})
    assert response.status_code == 302
    with maintenance():
        requests = list(DeletionRequest.objects.filter(user=alice))
    assert {r.organisation_id for r in requests} == {org_a.pk, org_b.pk}
    assert {r.reason for r in requests} == {"Leaving the profession"}
    client.post(url("mydata_delete_request", org_a), {})
    with maintenance():
        assert DeletionRequest.objects.filter(user=alice).count() == 2
    assert "You asked for your account to be deleted on" in client.get(url("mydata", org_a)).content.decode()


@pytest.mark.parametrize("name", ["deletion_requests"])
def test_deletion_requests_are_for_administrators(client, org_a, alice, name):
    client.force_login(alice)
    assert client.get(url(name, org_a)).status_code == 403


def test_carrying_out_keeps_submitted_dossiers_and_anonymises_the_account(
        client, org_a, ada, alice, portfolio, django_capture_on_commit_callbacks):
    client.force_login(alice)
    client.post(url("mydata_delete_request", org_a), {})
    request = DeletionRequest.objects.get(organisation=org_a, user=alice)
    client.force_login(ada)
    listing = client.get(url("deletion_requests", org_a)).content.decode()
    assert "alice@example.com" in listing
    assert "Pending" in listing
    page = client.get(url("deletion_request_action", org_a, pk=request.pk)).content.decode()
    assert "delete 1 activity that is not part of a submitted dossier" in page
    assert "delete 2 evidence files" in page
    assert "delete 1 draft dossier" in page
    assert "1 submitted dossier with its submission" in page
    locked_file = portfolio["locked_file"].file.name
    free_file = portfolio["free_file"].file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("deletion_request_action", org_a, pk=request.pk),
                               {"decision": "carry_out", "note": "Done as asked"})
    assert response.status_code == 302
    # Kept: the submitted dossier, its submission, the locked activity and its file.
    assert Dossier.objects.filter(pk=portfolio["submitted"].pk).exists()
    assert Submission.objects.filter(pk=portfolio["submission"].pk).exists()
    assert Activity.objects.filter(pk=portfolio["locked"].pk).exists()
    assert Evidence.objects.filter(pk=portfolio["locked_file"].pk).exists()
    assert default_storage.exists(locked_file)
    # Removed: the membership, the free activity and its file, the draft dossier with its parts.
    assert not Membership.objects.filter(organisation=org_a, user=alice).exists()
    assert not Activity.objects.filter(pk=portfolio["free"].pk).exists()
    assert not Evidence.objects.filter(pk=portfolio["free_file"].pk).exists()
    assert not default_storage.exists(free_file)
    assert not Dossier.objects.filter(pk=portfolio["draft"].pk).exists()
    assert not StatementRequest.objects.filter(organisation=org_a).exists()
    # No organisation holds anything of hers any more: the account is closed and anonymised.
    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.first_name == alice.last_name == ""
    assert alice.email.startswith("deleted-")
    assert alice.email.endswith("@deleted.invalid")
    assert not alice.has_usable_password()
    request.refresh_from_db()
    assert (request.status, request.actioned_by, request.note) == ("done", ada, "Done as asked")
    event = AuditEvent.objects.get(organisation=org_a, action="deletion.carry_out")
    assert (event.data["activities"], event.data["kept"], event.data["anonymised"]) == (1, 1, 1)
    message = mail.outbox[-1]
    assert message.to == ["alice@example.com"]
    assert "Kept: 1 submitted dossier" in message.body
    assert "retention" in message.body
    assert "your account has been closed" in message.body
    assert client.post(url("deletion_request_action", org_a, pk=request.pk),
                       {"decision": "refuse", "note": "x"}).status_code == 422


def test_the_account_stays_while_another_organisation_still_holds_data(
        client, org_a, org_b, ada, alice, charlie, django_capture_on_commit_callbacks):
    factories.member(org_b, alice.email, "professional")
    factories.activity(org_b, alice, "webinar", dt.date(2025, 1, 1), 2)
    client.force_login(alice)
    client.post(url("mydata_delete_request", org_a), {})
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("deletion_request_action", org_a, pk=DeletionRequest.objects.get(organisation=org_a).pk),
                    {"decision": "carry_out"})
    alice.refresh_from_db()
    assert alice.is_active
    assert alice.email == "alice@example.com"
    assert "your account has been closed" not in mail.outbox[-1].body
    client.force_login(charlie)
    with maintenance():
        theirs = DeletionRequest.objects.get(organisation=org_b)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("deletion_request_action", org_b, pk=theirs.pk), {"decision": "carry_out"})
    alice.refresh_from_db()
    assert not alice.is_active
    assert alice.email.endswith("@deleted.invalid")
    assert not User.objects.filter(email="alice@example.com").exists()


def test_refusing_needs_a_note_and_tells_the_person(client, org_a, ada, alice, portfolio,
                                                    django_capture_on_commit_callbacks):
    client.force_login(alice)
    client.post(url("mydata_delete_request", org_a), {})
    request = DeletionRequest.objects.get(organisation=org_a)
    client.force_login(ada)
    response = client.post(url("deletion_request_action", org_a, pk=request.pk), {"decision": "refuse"})
    assert response.status_code == 422
    assert "Say why the request is refused" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("deletion_request_action", org_a, pk=request.pk),
                               {"decision": "refuse", "note": "Your review is still open."})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "refused"
    assert Membership.objects.filter(organisation=org_a, user=alice).exists()
    assert Activity.objects.filter(pk=portfolio["free"].pk).exists()
    assert "Your review is still open." in mail.outbox[-1].body
    assert AuditEvent.objects.filter(organisation=org_a, action="deletion.refuse").count() == 1


def test_the_only_administrator_cannot_be_removed_this_way(client, org_a, ada):
    client.force_login(ada)
    client.post(url("mydata_delete_request", org_a), {})
    request = DeletionRequest.objects.get(organisation=org_a)
    response = client.post(url("deletion_request_action", org_a, pk=request.pk), {"decision": "carry_out"})
    assert response.status_code == 422
    assert "only administrator" in response.content.decode()
    assert Membership.objects.filter(organisation=org_a, user=ada).exists()


def test_another_organisations_request_is_not_found(client, org_a, org_b, ada, charlie):
    with maintenance():
        theirs = DeletionRequest.objects.create(organisation=org_b, user=charlie, user_email=charlie.email)
    client.force_login(ada)
    assert client.get(url("deletion_request_action", org_a, pk=theirs.pk)).status_code == 404
    assert "charlie@example.com" not in client.get(url("deletion_requests", org_a)).content.decode()


def test_the_person_is_told_in_their_language(client, org_a, ada, alice, monkeypatch,
                                              django_capture_on_commit_callbacks):
    from django.utils import translation

    from accounts import mail as mail_helpers

    alice.preferred_language = "nl"
    alice.save()
    client.force_login(alice)
    client.post(url("mydata_delete_request", org_a), {})
    request = DeletionRequest.objects.get(organisation=org_a)
    languages = []
    original = mail_helpers.render_to_string

    def render(template, context):
        languages.append(translation.get_language())
        return original(template, context)

    monkeypatch.setattr(mail_helpers, "render_to_string", render)
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("deletion_request_action", org_a, pk=request.pk), {"decision": "refuse", "note": "Nee."})
    assert languages == ["nl", "nl"]  # subject and body
    assert mail.outbox[-1].to == ["alice@example.com"]


def test_deletion_request_list_query_count_does_not_grow(client, org_a, ada, django_assert_max_num_queries):
    def add(i):
        person = factories.member(org_a, f"p{i}@example.com", "professional")
        with maintenance():
            DeletionRequest.objects.create(organisation=org_a, user=person, user_email=person.email)

    add(0)
    client.force_login(ada)
    client.get(url("deletion_requests", org_a))
    with django_assert_max_num_queries(15) as one:
        client.get(url("deletion_requests", org_a))
    for i in range(1, 31):
        add(i)
    with django_assert_max_num_queries(15) as many:
        page = client.get(url("deletion_requests", org_a)).content.decode()
    assert len(one.captured_queries) == len(many.captured_queries)
    assert "Page 1 of 2" in page
    assert "p30@example.com" in page
