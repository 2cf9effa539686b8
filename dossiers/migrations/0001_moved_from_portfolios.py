"""Dossier, DossierSection, Evidence, StatementRequest and Submission move here from the portfolios app.

Django's state only: the models keep their tables (`Meta.db_table = "portfolios_..."`), so every row, index,
constraint, trigger and row-level security policy stays untouched (tests/test_dossiers_migration.py shows it
on a database filled by seed_demo). The content types follow, so permissions and admin history keep pointing
at the same models. portfolios/migrations/0007 then removes the models from the portfolios state.
"""

import django.db.models.deletion
import portfolios.models
from django.conf import settings
from django.db import migrations, models


MOVED = ["dossier", "dossiersection", "evidence", "statementrequest", "submission"]


def _relabel(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=target, model__in=MOVED).values_list("model", flat=True))
    ContentType.objects.filter(app_label=source, model__in=set(MOVED) - taken).update(app_label=target)


def relabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "portfolios", "dossiers")


def unrelabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "dossiers", "portfolios")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0004_mail_sends'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('portfolios', '0006_decimal_attributes_as_text'),
        ('schemes', '0002_row_level_security'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # State only: the tables, their rows, indexes, constraints and RLS policies stay as they are.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Dossier',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('kind', models.CharField(default='recertification', max_length=20, verbose_name='kind')),
                    ('reference_date', models.DateField(help_text='The recertification date or the CPD-year deadline.', verbose_name='requirements as of')),
                    ('product_series', models.CharField(blank=True, max_length=80, verbose_name='product series')),
                    ('status', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted')], default='draft', max_length=12, verbose_name='status')),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('submitted_at', models.DateTimeField(blank=True, null=True)),
                    ('certification', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='portfolios.certification')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dossiers', to='accounts.organisation')),
                    ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dossiers', to=settings.AUTH_USER_MODEL)),
                    ('scheme_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='dossiers', to='schemes.schemeversion')),
                ],
                options={
                    'verbose_name': 'dossier',
                    'verbose_name_plural': 'dossiers',
                    'db_table': 'portfolios_dossier',
                },
            ),
            migrations.CreateModel(
                name='DossierSection',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('code', models.CharField(max_length=40)),
                    ('data', models.JSONField(blank=True, default=dict)),
                    ('updated_at', models.DateTimeField(auto_now=True)),
                    ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sections', to='dossiers.dossier')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                ],
                options={
                    'db_table': 'portfolios_dossiersection',
                },
            ),
            migrations.CreateModel(
                name='Evidence',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('requirement_code', models.CharField(blank=True, max_length=60)),
                    ('file', models.FileField(max_length=200, upload_to=portfolios.models.evidence_path)),
                    ('original_name', models.CharField(max_length=255, verbose_name='file name')),
                    ('content_type', models.CharField(max_length=100)),
                    ('size', models.PositiveBigIntegerField()),
                    ('sha256', models.CharField(max_length=64)),
                    ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                    ('activity', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='portfolios.activity')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                    ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to=settings.AUTH_USER_MODEL)),
                    ('section', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='dossiers.dossiersection')),
                ],
                options={
                    'verbose_name': 'evidence file',
                    'verbose_name_plural': 'evidence files',
                    'db_table': 'portfolios_evidence',
                    'ordering': ['uploaded_at', 'id'],
                },
            ),
            migrations.CreateModel(
                name='StatementRequest',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('section_code', models.CharField(max_length=40)),
                    ('requirement_code', models.CharField(max_length=60)),
                    ('signer_name', models.CharField(max_length=200, verbose_name="signer's name")),
                    ('signer_email', models.EmailField(max_length=254, verbose_name="signer's e-mail address")),
                    ('signer_role', models.CharField(blank=True, max_length=120, verbose_name="signer's role")),
                    ('message', models.TextField(blank=True, verbose_name='message to the signer')),
                    ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                    ('expires_at', models.DateTimeField()),
                    ('last_sent_at', models.DateTimeField(blank=True, null=True)),
                    ('send_count', models.PositiveIntegerField(default=0)),
                    ('status', models.CharField(choices=[('requested', 'Requested'), ('signed', 'Signed'), ('declined', 'Declined'), ('withdrawn', 'Withdrawn')], default='requested', max_length=12)),
                    ('fields', models.JSONField(blank=True, default=dict)),
                    ('signed_name', models.CharField(blank=True, max_length=200)),
                    ('signed_at', models.DateTimeField(blank=True, null=True)),
                    ('decline_reason', models.TextField(blank=True)),
                    ('closed_at', models.DateTimeField(blank=True, null=True)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='statements', to='dossiers.dossier')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                ],
                options={
                    'db_table': 'portfolios_statementrequest',
                    'ordering': ['created_at', 'id'],
                },
            ),
            migrations.CreateModel(
                name='Submission',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('submitted_at', models.DateTimeField()),
                    ('snapshot', models.JSONField()),
                    ('snapshot_sha256', models.CharField(max_length=64)),
                    ('pdf', models.FileField(blank=True, max_length=200, upload_to='submissions/')),
                    ('dossier', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='submission', to='dossiers.dossier')),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                    ('scheme_version', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='schemes.schemeversion')),
                    ('submitted_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'portfolios_submission',
                },
            ),
            migrations.AddIndex(
                model_name='dossier',
                index=models.Index(fields=['organisation', 'owner', 'status'], name='dossier_org_owner_idx'),
            ),
            migrations.AddConstraint(
                model_name='dossier',
                constraint=models.UniqueConstraint(fields=('organisation', 'certification', 'kind', 'reference_date', 'product_series'), name='dossier_org_cert_kind_date'),
            ),
            migrations.AddConstraint(
                model_name='dossiersection',
                constraint=models.UniqueConstraint(fields=('organisation', 'dossier', 'code'), name='dossiersection_org_dossier_code'),
            ),
            migrations.AddIndex(
                model_name='evidence',
                index=models.Index(fields=['organisation', 'owner'], name='evidence_org_owner_idx'),
            ),
            migrations.AddIndex(
                model_name='evidence',
                index=models.Index(fields=['organisation', 'activity'], name='evidence_org_activity_idx'),
            ),
            migrations.AddConstraint(
                model_name='evidence',
                constraint=models.CheckConstraint(condition=models.Q(('activity__isnull', False), ('section__isnull', False), _negated=True), name='evidence_one_parent'),
            ),
            migrations.AddIndex(
                model_name='statementrequest',
                index=models.Index(fields=['organisation', 'dossier'], name='statement_org_dossier_idx'),
            ),
            migrations.AddIndex(
                model_name='submission',
                index=models.Index(fields=['organisation', 'submitted_at'], name='submission_org_date_idx'),
            ),
        ]),
        migrations.RunPython(relabel_content_types, unrelabel_content_types, elidable=True),
    ]
