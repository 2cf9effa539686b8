"""Decimal attributes are stored as strings in plain notation ("2.5"), the one encoding the form, the CSV
import and the rules engine share. The CSV import used to store them as JSON floats, which the engine did
not read as numbers: such values become strings, and the import key of each changed imported activity is
computed again (it hashes the stored attributes), so importing the same file again still adds nothing.

Whole numbers stay JSON integers (an integer attribute's encoding; a decimal attribute reads them the same).
"""

import hashlib
import json
from decimal import Decimal

from django.db import migrations, models

QUANTITY_PLACES = Decimal("0.01")


def _text(value: float) -> str:
    number = Decimal(repr(value))
    return format(number.normalize(), "f")


def _import_key(activity, attributes) -> str:
    """portfolios.services.imports.import_key as of this migration."""
    payload = json.dumps([activity.organisation_id, activity.owner_id, activity.type_code, activity.date.isoformat(),
                          str(activity.quantity.quantize(QUANTITY_PLACES)), activity.title, attributes],
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def floats_to_text(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # Every organisation's rows: the row-level-security policies honour the maintenance setting.
        schema_editor.execute("SELECT set_config('app.maintenance', 'on', true)")
    Activity = apps.get_model("portfolios", "Activity")
    changed = []
    for activity in Activity.objects.exclude(attributes={}).only(
            "id", "organisation_id", "owner_id", "type_code", "date", "quantity", "title", "attributes", "import_key"):
        attributes = activity.attributes or {}
        if not any(isinstance(value, float) for value in attributes.values()):
            continue
        stored = {name: _text(value) if isinstance(value, float) else value for name, value in attributes.items()}
        if activity.import_key:
            activity.import_key = _import_key(activity, stored)
        activity.attributes = stored
        changed.append(activity)
    Activity.objects.bulk_update(changed, ["attributes", "import_key"], batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ('portfolios', '0005_row_level_security_professionals'),
    ]

    operations = [
        migrations.AlterField(
            model_name='activity',
            name='attributes',
            field=models.JSONField(blank=True, default=dict, help_text='The activity type\'s extra values by attribute code: an integer attribute as a JSON integer (1500), a decimal attribute as a string in plain notation ("2.5"), yes or no as true or false, a text as a string.', verbose_name='details'),
        ),
        migrations.RunPython(floats_to_text, migrations.RunPython.noop, elidable=True),
    ]
