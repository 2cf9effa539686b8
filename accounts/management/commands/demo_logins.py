from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.management.commands.seed_demo import DEMO_PASSWORD, ORGANISATIONS, ROLE_USERS, demo_email
from accounts.tenancy import maintenance


class Command(BaseCommand):
    help = "Print where to browse and the demo log-ins."

    def handle(self, *args: object, **options: object) -> None:
        out = self.stdout
        out.write("")
        out.write(self.style.SUCCESS(f"Browse to {settings.SITE_URL}/  — e-mail is printed in this console."))
        out.write(f"Every demo user's password: {DEMO_PASSWORD}")
        for slug, name, _colour, _language, _scheme in ORGANISATIONS:
            out.write(f"  {name} ({settings.SITE_URL}/{slug}/)")
            for _role, local, _first, _last in ROLE_USERS:
                out.write(f"    {local:<13} {demo_email(slug, local)}")
        out.write("  In two organisations (Noloc and CMI): multi@demo.demo")
        # Apps above add lines through a hook (certificates: a verification link), so this imports none of them.
        with maintenance():
            for config in apps.get_app_configs():
                hook = getattr(config, "demo_logins", None)
                if callable(hook):
                    for line in hook():
                        out.write(line)
        out.write("")
