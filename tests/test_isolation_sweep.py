"""Walk every URL pattern of the project.

For each organisation-scoped pattern, a signed-in member of org A (an administrator, and a professional
with a certification, so role checks pass) asks for org B's object — or for org B's address — and must get
404. Every non-public pattern must send an anonymous visitor to log in.

Each area registers its patterns in tests/sweep/<area>.py: `PUBLIC`, `PERSONAL` (signed-in, no organisation
object), `ORG_SCOPED` (name → function giving org B's object as URL keywords, or None when the pattern takes
only the organisation) and optionally `make_b_objects(world)` creating org B's objects. A URL pattern in no
registry fails this test, so nobody forgets the walls.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

import tests.sweep
from tests import factories

pytestmark = pytest.mark.django_db


def registries() -> list[Any]:
    return [importlib.import_module(f"tests.sweep.{m.name}") for m in pkgutil.iter_modules(tests.sweep.__path__)]


PUBLIC: set[str] = set().union(*(getattr(r, "PUBLIC", set()) for r in registries()))
PERSONAL: set[str] = set().union(*(getattr(r, "PERSONAL", set()) for r in registries()))
ORG_SCOPED: dict[str, Callable[[World], dict[str, object]] | None] = {
    name: fixture for r in registries() for name, fixture in getattr(r, "ORG_SCOPED", {}).items()}


@dataclass
class World:
    org_a: factories.Organisation
    org_b: factories.Organisation
    member_a: factories.User
    b_user: factories.User
    b: dict[str, Any] = field(default_factory=dict)


def all_patterns() -> list[tuple[str, str, dict[str, Any]]]:
    """(name, route, {keyword: converter}) for every named pattern outside the Django admin."""
    found: list[tuple[str, str, dict[str, Any]]] = []

    def walk(resolver: URLResolver, prefix: str, namespace: str | None, converters: dict[str, Any]) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                walk(entry, prefix + str(entry.pattern), entry.namespace or namespace,
                     {**converters, **getattr(entry.pattern, "converters", {})})
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                found.append((name, prefix + str(entry.pattern),
                              {**converters, **getattr(entry.pattern, "converters", {})}))

    walk(get_resolver(), "", None, {})
    return found


@pytest.fixture
def world(org_a, org_b, ada, charlie) -> World:
    factories.member(org_a, ada.email, "professional")  # Ada: administrator and professional in A
    factories.certification(org_a, ada)
    built = World(org_a=org_a, org_b=org_b, member_a=ada, b_user=charlie)
    for registry in registries():
        if hasattr(registry, "make_b_objects"):
            built.b.update(registry.make_b_objects(built))
    return built


def test_every_pattern_is_classified():
    names = {name for name, _route, _kw in all_patterns()}
    unclassified = names - PUBLIC - PERSONAL - set(ORG_SCOPED)
    assert not unclassified, f"Add these URL patterns to a registry in tests/sweep/: {sorted(unclassified)}"
    stale = (PUBLIC | PERSONAL | set(ORG_SCOPED)) - names
    assert not stale, f"The sweep lists patterns that no longer exist: {sorted(stale)}"


def test_org_scoped_patterns_answer_404_for_another_organisation(client, world):
    client.force_login(world.member_a)
    checked = 0
    for name, route, converters in all_patterns():
        if name not in ORG_SCOPED:
            continue
        assert route.startswith("<slug:org>/"), f"{name} is organisation-scoped but not under /<org>/"
        objects = ORG_SCOPED[name]
        kwargs = {"org": world.org_b.slug} if objects is None else {"org": world.org_a.slug, **objects(world)}
        assert set(kwargs) == set(converters) | {"org"}, f"{name}: fixture gives {set(kwargs)}, pattern {route}"
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code in (404, 405), f"{method.upper()} {url} ({name}) → {response.status_code}"
            checked += response.status_code == 404
    assert checked >= len(ORG_SCOPED)


def test_non_public_patterns_send_anonymous_visitors_to_log_in(client, world):
    login = reverse("account_login")
    for name, _route, converters in all_patterns():
        if name in PUBLIC:
            continue
        kwargs = {key: 1 if isinstance(conv, IntConverter) else "x" for key, conv in converters.items()}
        if "org" in kwargs:
            kwargs["org"] = world.org_a.slug
        url = reverse(name, kwargs=kwargs)
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url)
        assert response.status_code == 302, f"{url} ({name}) → {response.status_code}"
        assert response["Location"].startswith(login), f"{url} ({name}) → {response['Location']}"


def test_django_admin_requires_a_login(client):
    assert client.get("/admin/").status_code == 302
