from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        # A user sees their own memberships in every organisation (the organisation switcher).
        *enable_rls("accounts_membership", user_column="user_id"),
        *enable_rls("accounts_invitation", "accounts_auditevent"),
    ]
