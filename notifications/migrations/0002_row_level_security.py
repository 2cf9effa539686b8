from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [*enable_rls("notifications_reminder", "notifications_reminderoptout",
                              "notifications_deliveryfailure")]
