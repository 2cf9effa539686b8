"""Create the four demo organisations of SCHEMES.md with a user for every role (idempotent)."""

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand

from accounts.models import Membership, Organisation, Role, User
from accounts.tenancy import maintenance

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - published demo log-in, embedded default only

ORGANISATIONS = [
    # slug, name, colour, language
    ("peoplecert", "PeopleCert", "#5b2a86", "nb"),
    ("cmi", "CMI (certifying body: DNV GL)", "#00558c", "nl"),
    ("noloc", "Noloc", "#c0392b", "nl"),
    ("ccmg", "The CCMG", "#0b6e4f", "en"),
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
    help = f"Create demo organisations and users (password: {DEMO_PASSWORD}). Safe to run again."

    def handle(self, *args: object, **options: object) -> None:
        with maintenance():
            for slug, name, colour, language in ORGANISATIONS:
                organisation, _ = Organisation.objects.update_or_create(
                    slug=slug, defaults={"name": name, "primary_colour": colour, "default_language": language})
                for role, local, first, last in ROLE_USERS:
                    user = self._user(demo_email(slug, local), first, last, language)
                    membership, _ = Membership.objects.get_or_create(organisation=organisation, user=user)
                    membership.set_roles([role])
                    membership.save()
            # One person certified by two bodies, to show the organisation switcher.
            both = self._user("multi@demo.demo", "Morgan", "Multi", "en")
            for slug in ("noloc", "cmi"):
                membership, _ = Membership.objects.get_or_create(
                    organisation=Organisation.objects.get(slug=slug), user=both)
                membership.set_roles([Role.PROFESSIONAL])
                membership.save()
        self.stdout.write(self.style.SUCCESS("Demo organisations and users are ready."))

    def _user(self, email: str, first: str, last: str, language: str) -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"first_name": first, "last_name": last, "preferred_language": language})
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=email,
                                              defaults={"verified": True, "primary": True})
        return user
