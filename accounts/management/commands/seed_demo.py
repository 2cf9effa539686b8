"""Create the four demo organisations of SCHEMES.md and a user for every role in each; the apps above add
their demo data through their AppConfig's `seed_demo` hook (each organisation's scheme and a professional's
certification with a few activities: portfolios/demo.py). Idempotent."""

from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management.base import BaseCommand

from accounts.models import Membership, Organisation, Role, User
from accounts.tenancy import maintenance

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo log-in, embedded default only

ORGANISATIONS = [
    # slug, name, colour, language, scheme
    ("peoplecert", "PeopleCert", "#5b2a86", "nb", "peoplecert-cpd"),
    ("cmi", "CMI (certifying body: DNV GL)", "#00558c", "nl", "cmi-register-loopbaanprofessional"),
    ("noloc", "Noloc", "#b03a2e", "nl", "noloc-register-jobcoach"),
    ("ccmg", "The CCMG", "#0b6e4f", "en", "ccmg-cpd"),
]

ROLE_USERS = [
    (Role.PROFESSIONAL, "professional", "Pat", "Professional"),
    (Role.ASSESSOR, "assessor", "Ash", "Assessor"),
    (Role.DECISION_MAKER, "decider", "Dana", "Decider"),
    (Role.ADMIN, "admin", "Alex", "Administrator"),
]


def demo_email(slug: str, local: str) -> str:
    return f"{local}@{slug}.demo"


class Command(BaseCommand):
    help = f"Create demo organisations, users (password: {DEMO_PASSWORD}), schemes and portfolios. Safe to run again."

    def handle(self, *args: object, **options: object) -> None:
        with maintenance():
            for slug, name, colour, language, _scheme in ORGANISATIONS:
                organisation, _ = Organisation.objects.update_or_create(
                    slug=slug, defaults={"name": name, "primary_colour": colour, "default_language": language})
                people = {}
                for role, local, first, last in ROLE_USERS:
                    user = self._user(demo_email(slug, local), first, last, language)
                    membership, _ = Membership.objects.get_or_create(organisation=organisation, user=user)
                    membership.set_roles([role])
                    membership.save()
                    people[role] = user
            # One person certified by two bodies, to show the organisation switcher.
            both = self._user("multi@demo.demo", "Morgan", "Multi", "en")
            for slug in ("noloc", "cmi"):
                membership, _ = Membership.objects.get_or_create(
                    organisation=Organisation.objects.get(slug=slug), user=both)
                membership.set_roles([Role.PROFESSIONAL])
                membership.save()
            # Apps above this one add their demo data through a hook, in INSTALLED_APPS order (portfolios: each
            # organisation's scheme and a professional's certification and activities; billing: CMI's profile and
            # invoices), so the ground floor imports none of them.
            for config in apps.get_app_configs():
                hook = getattr(config, "seed_demo", None)
                if callable(hook):
                    hook()
        self.stdout.write(self.style.SUCCESS("Demo organisations, schemes, users and portfolios are ready."))

    def _user(self, email: str, first: str, last: str, language: str) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last, "preferred_language": language})
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        return user
