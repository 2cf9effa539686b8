"""Both tenant walls: the ORM guard and PostgreSQL row-level security."""

from collections.abc import Iterator

import pytest
from django.db import DatabaseError, connection, transaction

from accounts import tenancy
from accounts.models import AuditEvent, Invitation, Membership
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict() -> Iterator[None]:
    """Leave maintenance mode for the rest of the test (both walls closed)."""
    token = tenancy._maintenance.set(False)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.maintenance', 'off', true)")
    yield
    tenancy._maintenance.reset(token)


def test_unscoped_query_on_a_tenant_model_raises(alice, charlie, strict):
    with pytest.raises(tenancy.UnscopedQuery):
        list(Membership.objects.all())
    for run in (lambda: Membership.objects.count(), lambda: Membership.objects.exists(),
                lambda: Membership.objects.filter(user=alice).first(),
                lambda: Invitation.objects.update(send_count=0), lambda: AuditEvent.objects.iterator()):
        with pytest.raises(tenancy.UnscopedQuery):
            run()


def test_scoped_query_sees_only_its_organisation(org_a, org_b, alice, charlie):
    with tenancy.tenant_context(org_a):
        members = list(Membership.objects.for_organisation(org_a))
        assert [m.user for m in members] == [alice]
        # The database wall hides B even if a query asked for it.
        assert list(Membership.objects.filter(organisation=org_b)) == [] or connection.vendor != "postgresql"


def test_excluding_an_organisation_does_not_count_as_scoping(org_a, alice, strict):
    with pytest.raises(tenancy.UnscopedQuery):
        list(Membership.objects.exclude(organisation=org_a))


def test_for_user_reads_a_persons_memberships_across_organisations(org_a, org_b, alice, strict):
    factories.member(org_b, alice.email, "professional")
    with tenancy.tenant_context(org_a, user_id=alice.pk):
        orgs = {m.organisation_id for m in Membership.objects.for_user(alice)}
    assert orgs == {org_a.pk, org_b.pk}


def test_maintenance_allows_unscoped_reads(alice, charlie, strict):
    with tenancy.maintenance():
        assert Membership.objects.count() == 2


pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="row-level security is PostgreSQL's")


def _raw(sql: str, params: list | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall() if cursor.description else []


@pg_only
def test_rls_role_is_not_exempt():
    superuser, bypass = _raw("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")[0]
    assert not superuser
    assert not bypass


@pg_only
@pytest.mark.parametrize("table", ["accounts_membership", "accounts_invitation", "accounts_auditevent",
                                   "accounts_mailsend"])
def test_rls_is_forced_on_tenant_tables(table):
    enabled, forced = _raw("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                           [table])[0]
    assert enabled
    assert forced


@pg_only
def test_rls_backstop_with_raw_sql(org_a, org_b, alice, charlie, strict):
    factories.invitation(org_b, "someone@example.com")
    _raw("SELECT set_config('app.organisation_id', %s, true)", [str(org_a.pk)])
    # Raw SQL bypasses the ORM wall entirely: only the database wall is left.
    rows = _raw("SELECT DISTINCT organisation_id FROM accounts_membership")
    assert rows == [(org_a.pk,)]
    assert _raw("SELECT count(*) FROM accounts_invitation") == [(0,)]
    # Writing a row for B while set to A is refused.
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        _raw("INSERT INTO accounts_auditevent (organisation_id, action, data, created_at) "
             "VALUES (%s, 'x', '{}', now())", [org_b.pk])
    # Updating B's rows from A touches nothing.
    _raw("UPDATE accounts_membership SET is_admin = true WHERE organisation_id = %s", [org_b.pk])
    _raw("SELECT set_config('app.organisation_id', '', true)")
    # With no setting at all, nothing is visible.
    assert _raw("SELECT count(*) FROM accounts_membership") == [(0,)]
    assert _raw("SELECT count(*) FROM accounts_auditevent") == [(0,)]
    with tenancy.maintenance():
        assert Membership.objects.get(user=charlie).is_admin  # unchanged by the refused update
        assert not Membership.objects.get(user=alice).is_admin


@pg_only
def test_tenant_context_restores_previous_settings(org_a, strict):
    _raw("SELECT set_config('app.organisation_id', '42', true)")
    with tenancy.tenant_context(org_a):
        assert _raw("SELECT current_setting('app.organisation_id', true)") == [(str(org_a.pk),)]
    assert _raw("SELECT current_setting('app.organisation_id', true)") == [("42",)]
