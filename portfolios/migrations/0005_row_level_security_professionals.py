from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("portfolios", "0004_professionals")]

    operations = [*enable_rls(
        "portfolios_certificationstatuschange", "portfolios_dossier", "portfolios_dossiersection",
        "portfolios_evidence", "portfolios_statementrequest", "portfolios_submission", "portfolios_activityimport",
        "portfolios_deletionrequest",
    )]
