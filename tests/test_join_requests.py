"""Join requests: a signed-in person without an invitation asks an organisation that allows it; its
administrators approve (professional member) or refuse with a reason. One open request per person and
organisation, daily limits, audited, and invisible to other organisations."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import services
from accounts.models import AuditEvent, JoinRequest, Membership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_org(org_a):
    org_a.allow_join_requests = True
    org_a.save()
    return org_a


@pytest.fixture
def nora(db):
    return factories.user("nora@example.com", first_name="Nora", last_name="Nieuw")


def ask(client, organisation, message=""):
    return client.post(reverse("join_request_create", kwargs={"slug": organisation.slug}), {"message": message})


def test_only_organisations_that_allow_requests_are_offered_by_name(client, open_org, org_b, nora):
    client.force_login(nora)
    body = client.get(reverse("home")).content.decode()
    assert open_org.name in body
    assert org_b.name not in body
    assert "administrator for an invitation" in body
    assert ask(client, org_b).status_code == 404  # does not take requests: as if it did not exist
    assert not JoinRequest.objects.exists()


def test_request_mails_the_administrators_in_their_language_and_is_audited(
        client, open_org, ada, nora, mailoutbox, django_capture_on_commit_callbacks):
    ada.preferred_language = "nb"
    ada.save()
    client.force_login(nora)
    with django_capture_on_commit_callbacks(execute=True):
        response = ask(client, open_org, "Member 4711")
    assert response.status_code == 302
    join_request = JoinRequest.objects.get()
    assert (join_request.organisation, join_request.user, join_request.message) == (open_org, nora, "Member 4711")
    (mail,) = [item for item in mailoutbox if item.to == ["ada@example.com"]]
    assert mail.subject == "Nora Nieuw ber om å bli medlem av Acme Certification"
    assert reverse("join_request_decide", kwargs={"org": open_org.slug, "pk": join_request.pk}) in mail.body
    assert AuditEvent.objects.filter(organisation=open_org, action="join_request.create", actor=nora).exists()


def test_a_second_request_is_refused_and_a_member_cannot_ask(client, open_org, nora, alice):
    client.force_login(nora)
    ask(client, open_org)
    response = ask(client, open_org)
    assert response.status_code == 422
    assert "already asked to join" in response.content.decode()
    assert JoinRequest.objects.count() == 1
    with pytest.raises(ValidationError, match="already a member"):
        services.join_request_create(organisation=open_org, user=alice)


def test_daily_limit_per_person(open_org, nora, monkeypatch):
    monkeypatch.setattr(services, "JOIN_REQUESTS_PER_USER_PER_DAY", 2)
    others = [factories.organisation(slug=f"org{n}", name=f"Org {n}", allow_join_requests=True) for n in range(3)]
    services.join_request_create(organisation=others[0], user=nora)
    services.join_request_create(organisation=others[1], user=nora)
    with pytest.raises(ValidationError, match="the most allowed"):
        services.join_request_create(organisation=others[2], user=nora)
    assert JoinRequest.objects.count() == 2


def test_approve_makes_a_professional_member_and_tells_them(
        client, open_org, ada, nora, mailoutbox, django_capture_on_commit_callbacks):
    join_request = services.join_request_create(organisation=open_org, user=nora)
    client.force_login(ada)
    home = client.get(reverse("org_home", kwargs={"org": open_org.slug})).content.decode()
    assert "1 request to join waits for your decision." in home
    url = reverse("join_request_decide", kwargs={"org": open_org.slug, "pk": join_request.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "approve"}).status_code == 302
    membership = Membership.objects.get(organisation=open_org, user=nora)
    assert membership.roles == ["professional"]
    assert JoinRequest.objects.get().status == JoinRequest.Status.APPROVED
    assert any(mail.to == ["nora@example.com"] and "member of Acme" in mail.subject for mail in mailoutbox)
    assert AuditEvent.objects.filter(action="join_request.approve", actor=ada).exists()
    assert client.post(url, {"action": "approve"}).status_code == 422  # decided once


def test_refuse_needs_a_reason_which_the_person_receives(
        client, open_org, ada, nora, mailoutbox, django_capture_on_commit_callbacks):
    join_request = services.join_request_create(organisation=open_org, user=nora)
    client.force_login(ada)
    url = reverse("join_request_decide", kwargs={"org": open_org.slug, "pk": join_request.pk})
    response = client.post(url, {"action": "refuse", "reason": " "})
    assert response.status_code == 422
    assert JoinRequest.objects.get().status == JoinRequest.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "refuse", "reason": "Only Acme's own staff."}).status_code == 302
    refused = JoinRequest.objects.get()
    assert (refused.status, refused.reason, refused.decided_by) == ("refused", "Only Acme's own staff.", ada)
    assert any(mail.to == ["nora@example.com"] and "Only Acme's own staff." in mail.body for mail in mailoutbox)
    assert not Membership.objects.filter(user=nora).exists()
    assert AuditEvent.objects.filter(action="join_request.refuse").exists()
    with pytest.raises(ValidationError, match="refused your request"):  # not again straight away
        services.join_request_create(organisation=open_org, user=nora)


def test_another_organisations_administrator_gets_404(client, open_org, nora, charlie):
    join_request = services.join_request_create(organisation=open_org, user=nora)
    client.force_login(charlie)  # administrator of org B
    url_b = reverse("join_request_decide", kwargs={"org": "bravo", "pk": join_request.pk})
    assert client.get(url_b).status_code == 404
    assert client.post(url_b, {"action": "approve"}).status_code == 404
    assert client.get(reverse("join_request_decide", kwargs={"org": open_org.slug, "pk": join_request.pk})
                      ).status_code == 404
    assert not Membership.objects.filter(user=nora).exists()


def test_administrator_turns_join_requests_on(client, org_a, ada):
    client.force_login(ada)
    url = reverse("organisation_settings", kwargs={"org": org_a.slug})
    response = client.post(url, {"name": org_a.name, "primary_colour": org_a.primary_colour,
                                 "default_language": "en", "allow_join_requests": "on"})
    assert response.status_code == 302
    org_a.refresh_from_db()
    assert org_a.allow_join_requests
    assert AuditEvent.objects.get(action="organisation.update").data["fields"] == ["allow_join_requests"]
