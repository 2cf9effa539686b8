from django.db import migrations

from accounts.rls import enable_rls


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [*enable_rls(
        "review_reviewcase", "review_allocation", "review_assessment", "review_relationship",
        "review_assessorprofile", "review_casemessage", "review_advice")]
