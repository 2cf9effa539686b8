"""On PostgreSQL the database itself refuses to change an issued invoice or its lines (billing/models.py).

An invoice row may change only in its settlement columns (status, paid_at, pdf); a line never; neither is ever
deleted (TRUNCATE, used only to empty test databases, fires no row triggers).
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION billing_invoice_frozen() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'billing: issued invoice % is never deleted (issue a credit note)', OLD.number;
    END IF;
    IF (to_jsonb(NEW) - 'status' - 'paid_at' - 'pdf') IS DISTINCT FROM (to_jsonb(OLD) - 'status' - 'paid_at' - 'pdf') THEN
        RAISE EXCEPTION 'billing: issued invoice % never changes (issue a credit note)', OLD.number;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_frozen BEFORE UPDATE OR DELETE ON billing_invoice
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_frozen();

CREATE OR REPLACE FUNCTION billing_invoiceline_frozen() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'billing: the lines of an issued invoice never change';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoiceline_frozen BEFORE UPDATE OR DELETE ON billing_invoiceline
    FOR EACH ROW EXECUTE FUNCTION billing_invoiceline_frozen();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS billing_invoice_frozen ON billing_invoice;
DROP FUNCTION IF EXISTS billing_invoice_frozen();
DROP TRIGGER IF EXISTS billing_invoiceline_frozen ON billing_invoiceline;
DROP FUNCTION IF EXISTS billing_invoiceline_frozen();
"""


def _run(schema_editor, sql):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)  # no parameters: the "%" of RAISE's format stays as it is


def forward(apps, schema_editor):
    _run(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_row_level_security")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
