from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_initial")]

    operations = [*enable_rls(
        "certificates_decision", "certificates_certificate", "certificates_certificatepdf",
        "certificates_certificateevent", "certificates_seriesextension", "certificates_appeal",
        "certificates_appealfile",
    )]
