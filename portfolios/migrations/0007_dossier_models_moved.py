"""The dossier models now live in the dossiers app (dossiers/migrations/0001_moved_from_portfolios.py):
remove them from this app's state and point `Activity.locked_by` at `dossiers.Submission` (the same table).
State only; the database does not change.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0001_moved_from_portfolios'),
        ('portfolios', '0006_decimal_attributes_as_text'),
    ]

    operations = [
        # State only: the tables, their rows, indexes, constraints and RLS policies stay as they are.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveIndex(
                model_name='dossier',
                name='dossier_org_owner_idx',
            ),
            migrations.RemoveConstraint(
                model_name='dossier',
                name='dossier_org_cert_kind_date',
            ),
            migrations.RemoveConstraint(
                model_name='dossiersection',
                name='dossiersection_org_dossier_code',
            ),
            migrations.RemoveIndex(
                model_name='evidence',
                name='evidence_org_owner_idx',
            ),
            migrations.RemoveIndex(
                model_name='evidence',
                name='evidence_org_activity_idx',
            ),
            migrations.RemoveConstraint(
                model_name='evidence',
                name='evidence_one_parent',
            ),
            migrations.RemoveIndex(
                model_name='statementrequest',
                name='statement_org_dossier_idx',
            ),
            migrations.RemoveIndex(
                model_name='submission',
                name='submission_org_date_idx',
            ),
            migrations.AlterField(
                model_name='activity',
                name='locked_by',
                field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='locked_activities', to='dossiers.submission'),
            ),
            migrations.RemoveField(
                model_name='dossier',
                name='certification',
            ),
            migrations.RemoveField(
                model_name='dossier',
                name='organisation',
            ),
            migrations.RemoveField(
                model_name='dossier',
                name='owner',
            ),
            migrations.RemoveField(
                model_name='dossier',
                name='scheme_version',
            ),
            migrations.RemoveField(
                model_name='evidence',
                name='activity',
            ),
            migrations.RemoveField(
                model_name='evidence',
                name='organisation',
            ),
            migrations.RemoveField(
                model_name='evidence',
                name='owner',
            ),
            migrations.RemoveField(
                model_name='evidence',
                name='section',
            ),
            migrations.RemoveField(
                model_name='statementrequest',
                name='dossier',
            ),
            migrations.RemoveField(
                model_name='statementrequest',
                name='organisation',
            ),
            migrations.RemoveField(
                model_name='submission',
                name='dossier',
            ),
            migrations.RemoveField(
                model_name='submission',
                name='organisation',
            ),
            migrations.RemoveField(
                model_name='submission',
                name='scheme_version',
            ),
            migrations.RemoveField(
                model_name='submission',
                name='submitted_by',
            ),
            migrations.DeleteModel(
                name='DossierSection',
            ),
            migrations.DeleteModel(
                name='Evidence',
            ),
            migrations.DeleteModel(
                name='StatementRequest',
            ),
            migrations.DeleteModel(
                name='Dossier',
            ),
            migrations.DeleteModel(
                name='Submission',
            ),
        ]),
    ]
