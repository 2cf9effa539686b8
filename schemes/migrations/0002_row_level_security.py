from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("schemes", "0001_initial")]

    operations = [*enable_rls("schemes_schemeversion")]
