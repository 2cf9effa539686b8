"""The transactional outbox (OutboxMessage) and mail refusals (DeliveryFailure) move here from notifications:
infrastructure every layer uses, so it sits on the ground floor. State only: the models keep their tables
(`notifications_outboxmessage`, `notifications_deliveryfailure`) with their rows and RLS policy;
notifications/migrations/0003 removes them from that app's state.
"""

import django.db.models.deletion
from django.db import migrations, models


MOVED = ["outboxmessage", "deliveryfailure"]


def _relabel(apps, schema_editor, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=target, model__in=MOVED).values_list("model", flat=True))
    ContentType.objects.filter(app_label=source, model__in=set(MOVED) - taken).update(app_label=target)


def relabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "notifications", "accounts")


def unrelabel_content_types(apps, schema_editor):
    _relabel(apps, schema_editor, "accounts", "notifications")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_mail_sends'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        # State only: the tables, their rows, indexes, constraints and RLS policies stay as they are.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='OutboxMessage',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('task', models.CharField(max_length=200)),
                    ('kwargs', models.JSONField(default=dict)),
                    ('created_at', models.DateTimeField(auto_now_add=True)),
                    ('published_at', models.DateTimeField(blank=True, null=True)),
                    ('attempts', models.PositiveIntegerField(default=0)),
                    ('last_error', models.TextField(blank=True)),
                ],
                options={
                    'db_table': 'notifications_outboxmessage',
                    'indexes': [models.Index(condition=models.Q(('published_at__isnull', True)), fields=['created_at'], name='outbox_pending_idx')],
                },
            ),
            migrations.CreateModel(
                name='DeliveryFailure',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('email', models.EmailField(max_length=254)),
                    ('reason', models.TextField()),
                    ('subject', models.CharField(blank=True, max_length=300)),
                    ('first_failed_at', models.DateTimeField(auto_now_add=True)),
                    ('last_failed_at', models.DateTimeField(auto_now=True)),
                    ('count', models.PositiveIntegerField(default=1)),
                    ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                ],
                options={
                    'db_table': 'notifications_deliveryfailure',
                    'ordering': ['-last_failed_at'],
                    'constraints': [models.UniqueConstraint(fields=('organisation', 'email'), name='deliveryfailure_org_email')],
                },
            ),
        ]),
        migrations.RunPython(relabel_content_types, unrelabel_content_types, elidable=True),
    ]
