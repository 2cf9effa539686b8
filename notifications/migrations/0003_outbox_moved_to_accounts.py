"""OutboxMessage and DeliveryFailure now live in accounts (accounts/migrations/0005): remove them from this
app's state. The database does not change.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_outbox_moved_from_notifications'),
        ('notifications', '0002_row_level_security'),
    ]

    operations = [
        # State only: the tables, their rows, indexes, constraints and RLS policies stay as they are.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveConstraint(
                model_name='deliveryfailure',
                name='deliveryfailure_org_email',
            ),
            migrations.RemoveIndex(
                model_name='outboxmessage',
                name='outbox_pending_idx',
            ),
            migrations.DeleteModel(
                name='OutboxMessage',
            ),
            migrations.DeleteModel(
                name='DeliveryFailure',
            ),
        ]),
    ]
