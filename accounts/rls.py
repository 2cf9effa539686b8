"""PostgreSQL row-level security for tenant tables: the second wall (see accounts/tenancy.py).

Use in a migration: `operations = [*enable_rls("portfolios_activity")]`. Skipped on SQLite.
`FORCE` makes the policy apply to the table's owner too, so an application role that owns its tables
(and is not a superuser, which always bypasses RLS) is still walled in.
"""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

ORG_MATCH = "organisation_id = NULLIF(current_setting('app.organisation_id', true), '')::bigint"
MAINTENANCE = "current_setting('app.maintenance', true) = 'on'"


def _policy_sql(table: str, user_column: str | None) -> list[str]:
    visible = f"({MAINTENANCE} OR {ORG_MATCH}"
    if user_column:
        visible += f" OR {user_column} = NULLIF(current_setting('app.user_id', true), '')::bigint"
    visible += ")"
    writable = f"({MAINTENANCE} OR {ORG_MATCH})"
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"',
        f'CREATE POLICY tenant_isolation ON "{table}" USING {visible} WITH CHECK {writable}',
    ]


def enable_rls(*tables: str, user_column: str | None = None) -> list[migrations.RunPython]:
    """Operations that put the tenant policy on `tables`; `user_column` also lets a user see own rows."""

    def forward(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            for statement in _policy_sql(table, user_column):
                schema_editor.execute(statement)

    def backward(apps: object, schema_editor: BaseDatabaseSchemaEditor) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(f'DROP POLICY IF EXISTS tenant_isolation ON "{table}"')
            schema_editor.execute(f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY')
            schema_editor.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')

    return [migrations.RunPython(forward, backward, elidable=False)]
