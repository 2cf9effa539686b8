"""The one access policy (accounts/access.py): rules per object kind, extended by apps, honoured by the views."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db.models import Q
from django.test import override_settings

from accounts.access import Access, allowed, get_allowed, register_rule, rules_for, unregister_rule
from accounts.models import Membership
from accounts.tenancy import NotFound, tenant_context
from dossiers.models import Dossier
from tests import factories
from tests.access_rule_app.apps import AccessRuleAppConfig, assessors_read_dossiers
from tests.test_dossiers import _media, noloc, start, url  # noqa: F401

pytestmark = pytest.mark.django_db


class rule_app_installed:
    """The throwaway app installed for a `with` block: Django runs every AppConfig.ready, so its rule registers."""

    def __enter__(self) -> None:
        self._override = override_settings(
            INSTALLED_APPS=[*settings.INSTALLED_APPS, "tests.access_rule_app.apps.AccessRuleAppConfig"])
        self._override.enable()
        assert assessors_read_dossiers in rules_for("dossier")

    def __exit__(self, *exc: object) -> None:
        self._override.disable()
        AccessRuleAppConfig.remove()


def test_a_rule_from_an_app_config_lets_a_view_open_another_persons_dossier(client, org_a, org_b, alice, charlie):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    client.force_login(charlie)
    b_dossier = start(client, org_b, noloc(org_b, charlie))
    # Dave: professional and assessor in both organisations, with no dossier of his own.
    dave = factories.member(org_a, "dave@example.com", "professional", "assessor")
    factories.member(org_b, "dave@example.com", "professional", "assessor")
    client.force_login(dave)
    detail = url("dossier_detail", org_a, pk=dossier.pk)
    section = url("dossier_section", org_a, pk=dossier.pk, code="A1")
    assert client.get(detail).status_code == 404  # the owner rule alone: not his
    with rule_app_installed():
        page = client.get(detail)
        assert page.status_code == 200
        assert dossier.certification.number in page.content.decode()
        assert client.get(section).status_code == 200
        # Read only: the rule answers nothing for a change, so saving the section is refused like a stranger's.
        assert client.post(section, {}).status_code == 404
        # Organisation Y only: the same person in the other organisation still sees nothing there.
        assert client.get(url("dossier_detail", org_b, pk=b_dossier.pk)).status_code == 404
    assert client.get(detail).status_code == 404  # the app gone, its rule is gone


def _access(user, organisation, *, write=False) -> Access:
    membership = Membership.objects.for_organisation(organisation).filter(user=user).first()
    return Access(user=user, organisation=organisation, membership=membership, write=write)


def test_lists_are_narrowed_by_the_same_rules_without_repeating_rows(client, org_a, org_b, alice, charlie):
    client.force_login(alice)
    mine = start(client, org_a, noloc(org_a, alice))
    client.force_login(charlie)
    theirs = start(client, org_b, noloc(org_b, charlie))
    dave = factories.member(org_a, "dave@example.com", "professional", "assessor")
    with tenant_context(org_a):
        as_dave = _access(dave, org_a)
        assert list(allowed("dossier", Dossier.objects.all(), as_dave)) == []
        with rule_app_installed():
            assert list(allowed("dossier", Dossier.objects.all(), as_dave)) == [mine]
            assert get_allowed("dossier", Dossier.objects.all(), as_dave, mine.pk, message="no") == mine
            with pytest.raises(NotFound):
                get_allowed("dossier", Dossier.objects.all(), _access(dave, org_a, write=True), mine.pk, message="no")

            def joins(access: Access) -> Q:  # a second rule over a join that repeats the dossier per section
                return Q(sections__isnull=False) | Q(owner=access.user)

            register_rule("dossier", joins)
            try:
                assert list(allowed("dossier", Dossier.objects.all(), as_dave)) == [mine]
            finally:
                unregister_rule("dossier", joins)
    # Whatever a rule says, another organisation's rows stay out: the organisation is always in the query.
    with tenant_context(org_b):
        everything = lambda access: Q()  # noqa: E731
        register_rule("dossier", everything)
        try:
            assert list(allowed("dossier", Dossier.objects.all(), _access(dave, org_a))) == []
            assert list(allowed("dossier", Dossier.objects.all(), _access(charlie, org_b))) == [theirs]
        finally:
            unregister_rule("dossier", everything)


def test_a_kind_without_rules_allows_nothing(org_a, alice):
    with tenant_context(org_a):
        assert rules_for("no-such-kind") == ()
        assert list(allowed("no-such-kind", Dossier.objects.all(), _access(alice, org_a))) == []
        with pytest.raises(NotFound):
            get_allowed("no-such-kind", Dossier.objects.all(), _access(alice, org_a), 1, message="no")
