"""Moving models between apps keeps every row and every row-level security policy: the dossier models from
portfolios to dossiers, and the outbox and mail refusals from notifications down to accounts.

On the real PostgreSQL test database: migrate back to before the moves (portfolios 0006 and no dossiers app;
accounts 0004 and notifications 0002), fill the database there with `seed_demo`, a submitted Noloc dossier
(sections, evidence, signed statements, the submission and its locked activities) and a refused address,
then migrate forward through the moves and compare the tables row for row, their policies, triggers,
indexes and constraints, and read the rows through the moved models.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import DeliveryFailure, Membership, Organisation, OutboxMessage, User
from accounts.tenancy import maintenance
from certificates import hooks as certificate_hooks
from dossiers import signals as dossier_signals
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest, Submission
from portfolios.models import Activity
from tests.test_dossiers import _media, complete_noloc, noloc, pe_points, start  # noqa: F401

BEFORE_THE_MOVE = [("portfolios", "0006_decimal_attributes_as_text"), ("dossiers", None),
                   ("accounts", "0004_mail_sends"), ("notifications", "0002_row_level_security")]
MOVED_TABLES = ["portfolios_dossier", "portfolios_dossiersection", "portfolios_evidence",
                "portfolios_statementrequest", "portfolios_submission", "notifications_deliveryfailure"]
TABLES = [*MOVED_TABLES, "notifications_outboxmessage", "portfolios_activity", "portfolios_certification"]


def migrate(targets: list[tuple[str, str | None]]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def latest() -> list[tuple[str, str | None]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def applied(app: str) -> set[str]:
    return {name for label, name in MigrationExecutor(connection).loader.applied_migrations if label == app}


def rows(table: str) -> tuple[int, str]:
    """How many rows, and a fingerprint of all their values (read in maintenance: across organisations)."""
    with maintenance(), connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t.id), \'\')) '  # noqa: S608
                       f'FROM "{table}" t')
        count, digest = cursor.fetchone()
    return count, digest


def database_side(table: str) -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s", [table])
        rls = cursor.fetchone()
        cursor.execute("SELECT policyname, cmd, qual, with_check FROM pg_policies WHERE tablename = %s "
                       "ORDER BY policyname", [table])
        policies = cursor.fetchall()
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
                       "ORDER BY tgname", [table])
        triggers = cursor.fetchall()
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname", [table])
        indexes = cursor.fetchall()
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                       "ORDER BY conname", [table])
        constraints = cursor.fetchall()
    return {"rls": rls, "policies": policies, "triggers": triggers, "indexes": indexes, "constraints": constraints}


def lend_later_columns() -> list[tuple[Any, Any]]:
    """The columns today's models have that the old state's tables lack yet (added by migrations after the move,
    e.g. an organisation's `allow_join_requests`), added so the seeding can use today's models; `return_columns`
    drops them again before the old state is measured and migrated forward."""
    lent = []
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for model in django_apps.get_models():
            if model._meta.db_table not in tables or not model._meta.managed:
                continue
            columns = {column.name for column in
                       connection.introspection.get_table_description(cursor, model._meta.db_table)}
            lent += [(model, field) for field in model._meta.local_concrete_fields if field.column not in columns]
    with connection.schema_editor() as editor:
        for model, field in lent:
            editor.add_field(model, field)
    return lent


def return_columns(lent: list[tuple[Any, Any]]) -> None:
    with connection.schema_editor() as editor:
        for model, field in lent:
            editor.remove_field(model, field)
    lent.clear()


@pytest.mark.django_db(transaction=True)
def test_a_seeded_database_migrates_through_the_move_with_every_row_and_policy(client, monkeypatch):
    target = latest()
    migrate(BEFORE_THE_MOVE)
    lent = lend_later_columns()
    try:
        assert not applied("dossiers")
        assert "0007_dossier_models_moved" not in applied("portfolios")
        assert "0005_outbox_moved_from_notifications" not in applied("accounts")

        # Filled at the old state: the demo, and a submitted dossier with rows in every moved table. Apps whose
        # tables do not exist yet at that state (added after the move, e.g. review) add no demo data there.
        for config in django_apps.get_app_configs():
            if callable(getattr(config, "seed_demo", None)) and config.models_module is not None and not applied(
                    config.label):
                monkeypatch.setattr(config, "seed_demo", None)
        if not applied("review"):  # nor do its advice source and its submission receiver answer there
            monkeypatch.setattr(certificate_hooks, "_sources", [])
            monkeypatch.setattr(dossier_signals.submission_submitted, "receivers", [
                receiver for receiver in dossier_signals.submission_submitted.receivers
                if receiver[0][0] != "review-submission"])
        call_command("seed_demo", verbosity=0)
        with maintenance():
            organisation = Organisation.objects.get(slug="noloc")
            professional = User.objects.get(email="professional@noloc.demo")
            assert Membership.objects.filter(organisation=organisation, user=professional).exists()
        client.force_login(professional)
        dossier = start(client, organisation, noloc(organisation, professional, dt.date(2025, 12, 1)))
        pe_points(organisation, professional)
        complete_noloc(client, organisation, dossier)
        response = client.post(reverse("dossier_submit", kwargs={"org": organisation.slug, "pk": dossier.pk}))
        assert response.status_code == 302, response.content.decode()
        with maintenance():
            DeliveryFailure.objects.create(organisation=organisation, email="gone@example.com",
                                           reason="550 no such user")

        return_columns(lent)
        before = {table: rows(table) for table in TABLES}
        before_side = {table: database_side(table) for table in TABLES}
        assert all(before[table][0] > 0 for table in TABLES), before
        assert all(before_side[table]["policies"] for table in MOVED_TABLES)
    finally:
        return_columns(lent)
        migrate(target)

    assert "0001_moved_from_portfolios" in applied("dossiers")
    assert "0007_dossier_models_moved" in applied("portfolios")
    assert "0005_outbox_moved_from_notifications" in applied("accounts")
    assert {table: rows(table) for table in TABLES} == before
    after_side = {table: database_side(table) for table in TABLES}
    assert {table: after_side[table] for table in MOVED_TABLES} == {table: before_side[table] for table in MOVED_TABLES}
    # The tables that did not move keep their row-level security; later migrations may index them (the kept
    # reports' covering index on activities).
    assert ({table: (after_side[table]["rls"], after_side[table]["policies"]) for table in TABLES}
            == {table: (before_side[table]["rls"], before_side[table]["policies"]) for table in TABLES})
    for table in MOVED_TABLES:
        assert before_side[table]["rls"] == (True, True), table
        assert [name for name, *_rest in before_side[table]["policies"]] == ["tenant_isolation"], table

    # The moved models read the same rows, and the relations across the two apps still join.
    with maintenance():
        moved_models_read_the_rows(before, dossier.pk)


def moved_models_read_the_rows(before: dict[str, tuple[int, str]], dossier_pk: int) -> None:
    assert Dossier.objects.count() == before["portfolios_dossier"][0]
    assert DossierSection.objects.count() == before["portfolios_dossiersection"][0]
    assert Evidence.objects.count() == before["portfolios_evidence"][0]
    assert StatementRequest.objects.count() == before["portfolios_statementrequest"][0]
    submission = Submission.objects.get(dossier_id=dossier_pk)
    assert Activity.objects.filter(locked_by=submission).exists()
    assert Dossier.objects.get(pk=dossier_pk).status == Dossier.Status.SUBMITTED

    # The content types moved with the models (permissions and admin history keep their model).
    from django.contrib.contenttypes.models import ContentType

    assert set(ContentType.objects.filter(app_label="dossiers").values_list("model", flat=True)) >= {
        "dossier", "dossiersection", "evidence", "statementrequest", "submission"}
    assert not ContentType.objects.filter(app_label="portfolios", model__in=["dossier", "submission"]).exists()
    assert OutboxMessage.objects.count() == before["notifications_outboxmessage"][0]
    assert DeliveryFailure.objects.get().email == "gone@example.com"
