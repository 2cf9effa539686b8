"""Organisation administration: invitations, roles, the last-administrator guard, 403 for non-admins."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, Invitation, Membership
from tests import factories

pytestmark = pytest.mark.django_db


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


ADMIN_PAGES = ["members", "invitation_create", "organisation_settings", "audit_log"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_members_without_the_admin_role_get_403(client, org_a, alice, name):
    client.force_login(alice)
    assert client.get(url(name, org_a)).status_code == 403


def test_admin_pages_open_for_administrators(client, org_a, ada):
    client.force_login(ada)
    for name in ADMIN_PAGES:
        assert client.get(url(name, org_a)).status_code == 200, name


def test_member_list_filters_and_paginates_with_constant_queries(client, org_a, ada, django_assert_max_num_queries):
    client.force_login(ada)
    client.get(url("members", org_a))  # first visit also remembers the organisation in the session
    with django_assert_max_num_queries(16) as one_row:
        first = client.get(url("members", org_a))
    for i in range(40):
        factories.member(org_a, f"person{i}@example.com", "professional", last_name=f"Zed{i:02}")
    with django_assert_max_num_queries(16) as many_rows:
        many = client.get(url("members", org_a))
    assert len(one_row.captured_queries) == len(many_rows.captured_queries)
    assert first.status_code == many.status_code == 200
    assert "Page 1 of 2" in many.content.decode()
    filtered = client.get(url("members", org_a), {"q": "person7", "role": "professional"})
    assert "person7@example.com" in filtered.content.decode()
    assert "person8@example.com" not in filtered.content.decode()
    assert "ada@example.com" not in client.get(url("members", org_a), {"role": "assessor"}).content.decode()


def test_htmx_filter_renders_only_the_table(client, org_a, ada):
    client.force_login(ada)
    response = client.get(url("members", org_a), {"q": "ada"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="member-table"' in body
    assert "<html" not in body


def test_invite_accept_flow(client, org_a, ada, django_capture_on_commit_callbacks):
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invitation_create", org_a), {"email": "New.Person@Example.com",
                                                                  "role": "assessor"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"]
    link = next(line for line in message.body.splitlines() if "/invitations/" in line)
    path = link.split("8000", 1)[-1] if "8000" in link else link
    invitation = Invitation.objects.get(email="new.person@example.com")
    assert invitation.state == Invitation.State.PENDING
    assert AuditEvent.objects.filter(organisation=org_a, action="invitation.create").exists()

    newcomer = factories.user("new.person@example.com")
    client.force_login(newcomer)
    page = client.get(path)
    assert page.status_code == 200
    assert "Accept invitation" in page.content.decode()
    response = client.post(path)
    assert response.status_code == 302
    membership = Membership.objects.get(organisation=org_a, user=newcomer)
    assert membership.is_assessor
    assert not membership.is_admin
    # The link is single-use.
    again = client.post(path)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_expired_invitation_is_refused_politely(client, org_a, alice):
    invitation, token = factories.invitation(org_a, "late@example.com",
                                             expires_at=timezone.now() - timedelta(minutes=1))
    late = factories.user("late@example.com")
    client.force_login(late)
    path = url("invitation_accept", org_a, token=token)
    assert "has expired" in client.get(path).content.decode()
    response = client.post(path)
    assert response.status_code == 400
    assert not Membership.objects.filter(organisation=org_a, user=late).exists()


def test_invitation_for_another_address_is_not_accepted(client, org_a, charlie):
    _invitation, token = factories.invitation(org_a, "someone.else@example.com")
    client.force_login(charlie)
    response = client.post(url("invitation_accept", org_a, token=token))
    assert response.status_code == 400
    assert "Sign in with that address" in response.content.decode()
    assert not Membership.objects.filter(organisation=org_a, user=charlie).exists()


def test_unknown_invitation_token_is_404(client, org_a, alice):
    client.force_login(alice)
    response = client.get(url("invitation_accept", org_a, token="not-a-token"))
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_anonymous_invitee_is_sent_to_log_in_and_back(client, org_a):
    _invitation, token = factories.invitation(org_a, "fresh@example.com")
    path = url("invitation_accept", org_a, token=token)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"


def test_resend_replaces_the_link_and_revoke_closes_it(client, org_a, ada, django_capture_on_commit_callbacks):
    invitation, old_token = factories.invitation(org_a, "again@example.com")
    client.force_login(ada)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("invitation_resend", org_a, pk=invitation.pk))
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert invitation.send_count == 1
    assert client.get(url("invitation_accept", org_a, token=old_token)).status_code == 404
    confirm = client.get(url("invitation_revoke", org_a, pk=invitation.pk))
    assert "Yes, revoke" in confirm.content.decode()
    client.post(url("invitation_revoke", org_a, pk=invitation.pk))
    invitation.refresh_from_db()
    assert invitation.state == Invitation.State.REVOKED


def test_inviting_an_existing_member_with_the_same_role_says_so(client, org_a, ada, alice):
    client.force_login(ada)
    response = client.post(url("invitation_create", org_a), {"email": alice.email, "role": "professional"})
    assert response.status_code == 200
    assert "already a member with this role" in response.content.decode()
    assert 'value="alice@example.com"' in response.content.decode()  # what was typed is kept


def test_invalid_invitation_form_keeps_input(client, org_a, ada):
    client.force_login(ada)
    response = client.post(url("invitation_create", org_a), {"email": "not-an-email", "role": "assessor"})
    body = response.content.decode()
    assert "Enter a valid email address" in body
    assert 'value="not-an-email"' in body
    assert Invitation.objects.filter(organisation=org_a).count() == 0


def test_change_roles(client, org_a, ada, alice):
    client.force_login(ada)
    membership = Membership.objects.get(organisation=org_a, user=alice)
    response = client.post(url("member_edit", org_a, pk=membership.pk), {"roles": ["professional", "assessor"]})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.is_professional
    assert membership.is_assessor


def test_last_administrator_cannot_drop_the_role_or_be_removed(client, org_a, ada):
    client.force_login(ada)
    membership = Membership.objects.get(organisation=org_a, user=ada)
    response = client.post(url("member_edit", org_a, pk=membership.pk), {"roles": ["professional"]})
    assert response.status_code == 200
    assert "at least one administrator" in response.content.decode()
    response = client.post(url("member_remove", org_a, pk=membership.pk))
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.is_admin


def test_an_administrator_can_step_down_once_another_exists(client, org_a, ada, bob):
    bob_membership = Membership.objects.get(organisation=org_a, user=bob)
    bob_membership.is_admin = True
    bob_membership.save()
    client.force_login(ada)
    ada_membership = Membership.objects.get(organisation=org_a, user=ada)
    assert client.post(url("member_remove", org_a, pk=ada_membership.pk)).status_code == 302
    assert not Membership.objects.filter(pk=ada_membership.pk).exists()


def test_remove_asks_first(client, org_a, ada, alice):
    client.force_login(ada)
    membership = Membership.objects.get(organisation=org_a, user=alice)
    page = client.get(url("member_remove", org_a, pk=membership.pk))
    assert "Yes, remove" in page.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_organisation_settings_validate_colour(client, org_a, ada):
    client.force_login(ada)
    response = client.post(url("organisation_settings", org_a),
                           {"name": "Acme Renamed", "primary_colour": "red", "default_language": "nl"})
    assert response.status_code == 200
    assert "six hex digits" in response.content.decode()
    assert 'value="Acme Renamed"' in response.content.decode()
    response = client.post(url("organisation_settings", org_a),
                           {"name": "Acme Renamed", "primary_colour": "#112233", "default_language": "nl"})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.name == "Acme Renamed"
    assert AuditEvent.objects.filter(organisation=org_a, action="organisation.update").exists()


def test_brand_colour_must_keep_white_text_readable(client, org_a, ada):
    client.force_login(ada)
    response = client.post(url("organisation_settings", org_a),
                           {"name": "Acme", "primary_colour": "#ffee88", "default_language": "en"})
    assert response.status_code == 200
    assert "hard to read" in response.content.decode()


def test_logo_must_be_an_image_and_is_served_publicly(client, org_a, ada):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(ada)
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)></svg>", content_type="image/png")
    response = client.post(url("organisation_settings", org_a), {"name": "Acme", "primary_colour": "#112233",
                                                                  "default_language": "en", "logo": fake})
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode() or "PNG or JPEG" in response.content.decode()
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "#112233").save(buffer, format="PNG")
    png = buffer.getvalue()
    response = client.post(url("organisation_settings", org_a), {
        "name": "Acme", "primary_colour": "#112233", "default_language": "en",
        "logo": SimpleUploadedFile("logo.png", png, content_type="image/png")})
    assert response.status_code == 302
    client.logout()
    logo = client.get(reverse("organisation_logo", kwargs={"org": org_a.slug}))
    assert logo.status_code == 200
    assert logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content) == png
    assert client.get(reverse("organisation_logo", kwargs={"org": "nobody"})).status_code == 404


def test_white_label_host_brands_the_site_and_leads_to_its_organisation(client, org_a, alice, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "portal.acme.example"]
    org_a.host = "portal.acme.example"
    org_a.save()
    landing = client.get("/", headers={"host": "portal.acme.example"})
    assert org_a.name in landing.content.decode()
    client.force_login(alice)
    assert client.get("/", headers={"host": "portal.acme.example"})["Location"] == f"/{org_a.slug}/"
