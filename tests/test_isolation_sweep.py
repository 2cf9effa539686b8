"""Walk every URL pattern of the project.

For each organisation-scoped pattern, a signed-in member of org A asks for org B's object (or for org
B's address) and must get 404. Every non-public pattern must send an anonymous visitor to log in.
A new URL pattern without an entry below fails this test, so nobody forgets the walls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests import factories

pytestmark = pytest.mark.django_db

# Patterns anyone may open.
PUBLIC = {
    "home", "healthz", "set_language", "organisation_logo",
    "account_login", "account_logout", "account_inactive", "account_signup", "account_confirm_login_code",
    "account_email_verification_sent", "account_confirm_email", "account_reset_password",
    "account_reset_password_done", "account_reset_password_from_key", "account_reset_password_from_key_done",
    "mfa_authenticate",
}
# Signed-in pages that belong to a person, not to an organisation (no object to leak).
PERSONAL = {
    "profile", "account_reauthenticate", "account_email", "account_change_password", "account_set_password",
    "mfa_index", "mfa_reauthenticate", "mfa_activate_totp", "mfa_deactivate_totp", "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes", "mfa_download_recovery_codes",
}


@dataclass
class World:
    a: factories.Organisation
    b: factories.Organisation
    member_a: factories.User
    b_objects: dict[str, int | str]


# Organisation-scoped patterns: which of B's objects to ask for, by URL keyword.
def _b_membership(w: World) -> dict[str, object]:
    return {"pk": w.b_objects["membership"]}


def _b_invitation(w: World) -> dict[str, object]:
    return {"pk": w.b_objects["invitation"]}


def _b_invitation_token(w: World) -> dict[str, object]:
    return {"token": w.b_objects["invitation_token"]}


def _b_scheme(w: World) -> dict[str, object]:
    return {"code": w.b_objects["scheme_code"]}


def _b_scheme_version(w: World) -> dict[str, object]:
    return {"code": w.b_objects["scheme_code"], "version": 1}


ORG_SCOPED: dict[str, Callable[[World], dict[str, object]] | None] = {
    # None: the pattern takes no object; the member of A asks for B's address instead.
    "org_home": None,
    "members": None,
    "invitation_create": None,
    "organisation_settings": None,
    "audit_log": None,
    "member_edit": _b_membership,
    "member_remove": _b_membership,
    "invitation_resend": _b_invitation,
    "invitation_revoke": _b_invitation,
    "invitation_accept": _b_invitation_token,
    "scheme_list": None,
    "scheme_adopt": None,
    "scheme_import": None,
    "scheme_detail": _b_scheme,
    "scheme_edit": _b_scheme,
    "scheme_edit_json": _b_scheme,
    "scheme_export": _b_scheme_version,
}


def all_patterns() -> list[tuple[str, str, set[str]]]:
    """(name, route, keyword names) for every named pattern outside the Django admin."""
    found: list[tuple[str, str, set[str]]] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                walk(entry, prefix + str(entry.pattern), entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                route = prefix + str(entry.pattern)
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                keywords = set(entry.pattern.converters) | ({"org"} if "<slug:org>" in route else set())
                found.append((name, route, keywords))

    walk(get_resolver(), "", None)
    return found


@pytest.fixture
def world(org_a, org_b, ada, charlie) -> World:
    from accounts.models import Membership
    from schemes.services import scheme_adopt

    invitation, token = factories.invitation(org_b, "invitee@example.com")
    b_membership = Membership.objects.get(organisation=org_b, user=charlie)
    scheme = scheme_adopt(organisation=org_b, code="ccmg-cpd", by=charlie)
    return World(a=org_a, b=org_b, member_a=ada,
                 b_objects={"membership": b_membership.pk, "invitation": invitation.pk,
                            "invitation_token": token, "scheme_code": scheme.code})


def test_every_pattern_is_classified():
    names = {name for name, _route, _kw in all_patterns()}
    unclassified = names - PUBLIC - PERSONAL - set(ORG_SCOPED)
    assert not unclassified, f"Add these URL patterns to the isolation sweep: {sorted(unclassified)}"
    stale = (PUBLIC | PERSONAL | set(ORG_SCOPED)) - names
    assert not stale, f"The sweep lists patterns that no longer exist: {sorted(stale)}"


def test_org_scoped_patterns_answer_404_for_another_organisation(client, world):
    client.force_login(world.member_a)
    checked = 0
    for name, route, keywords in all_patterns():
        if name not in ORG_SCOPED:
            continue
        assert route.startswith("<slug:org>/"), f"{name} is organisation-scoped but not under /<org>/"
        objects = ORG_SCOPED[name]
        kwargs = {"org": world.b.slug} if objects is None else {"org": world.a.slug, **objects(world)}
        assert set(kwargs) == keywords, f"{name}: fixture gives {set(kwargs)}, pattern wants {keywords}"
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), f"{method.upper()} {url} ({name}) → {response.status_code}"
            if response.status_code == 405:
                continue
            checked += 1
    assert checked >= len(ORG_SCOPED)


def test_non_public_patterns_send_anonymous_visitors_to_log_in(client, world):
    login = reverse("account_login")
    for name, _route, keywords in all_patterns():
        if name in PUBLIC:
            continue
        kwargs: dict[str, object] = {}
        if "org" in keywords:
            kwargs["org"] = world.a.slug
        for number in {"pk", "version"} & keywords:
            kwargs[number] = 1
        if "token" in keywords:
            kwargs["token"] = "x"
        for key in keywords - set(kwargs):
            kwargs[key] = "x"
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url)
        assert response.status_code == 302, f"{url} ({name}) → {response.status_code}"
        assert response["Location"].startswith(login), f"{url} ({name}) → {response['Location']}"


def test_django_admin_requires_a_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
