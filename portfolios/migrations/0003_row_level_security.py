from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("portfolios", "0002_initial")]

    operations = [*enable_rls("portfolios_certification", "portfolios_activity")]
