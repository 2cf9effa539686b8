"""Create the four demo organisations of SCHEMES.md, a user for every role in each, each organisation's
scheme, and a demo professional's certification with a few activities (idempotent)."""

import datetime as dt
from decimal import Decimal
from typing import Any

from allauth.account.models import EmailAddress
from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils import timezone

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


def _demo_portfolio(organisation: Organisation, scheme: str, holder: User, admin: User) -> None:
    """A certification part-way through its cycle, so the dashboard has something to say."""
    from portfolios.models import Activity, Certification
    from schemes.models import SchemeVersion
    from schemes.services import scheme_adopt

    today = timezone.localdate()
    version = SchemeVersion.objects.filter(organisation=organisation, code=scheme).order_by("-version").first()
    if version is None:
        version = scheme_adopt(organisation=organisation, code=scheme, by=admin, effective_from=dt.date(2020, 1, 1))
    if Certification.objects.filter(organisation=organisation, holder=holder).exists():
        return
    fields_by_scheme: dict[str, dict[str, Any]] = {
        "peoplecert-cpd": {"exam_passed_on": today.replace(year=today.year - 2) - dt.timedelta(days=60),
                           "product_series": "itil-4", "membership_valid_until": today.replace(year=today.year + 1)},
        "cmi-register-loopbaanprofessional": {"recertification_date": today + dt.timedelta(days=200),
                                              "expires_on": today + dt.timedelta(days=200)},
        "noloc-register-jobcoach": {"recertification_date": today + dt.timedelta(days=300)},
        "ccmg-cpd": {"cycle_start": today.replace(year=today.year - 1), "designation": "CCOP"},
    }
    dates = fields_by_scheme[scheme]
    Certification.objects.create(organisation=organisation, holder=holder, scheme_version=version,
                                 number=f"{organisation.slug.upper()}-0001", **dates)
    activities = {
        "peoplecert-cpd": [("mentoring", 40, 4), ("podcasts-webinars", 100, 8), ("attending-events", 20, 6)],
        "noloc-register-jobcoach": [("course", 400, 16), ("peer-meeting", 300, 6), ("volunteering", 200, 7),
                                    ("book-read", 100, 3)],
        "ccmg-cpd": [("training-course-with-exam", 200, 12), ("webinar", 60, 3)],
        "cmi-register-loopbaanprofessional": [],
    }[scheme]
    for type_code, days_ago, quantity in activities:
        Activity.objects.create(organisation=organisation, owner=holder, type_code=type_code,
                                date=today - dt.timedelta(days=days_ago), quantity=Decimal(quantity),
                                title=type_code.replace("-", " ").capitalize(), provider="Demo provider")


class Command(BaseCommand):
    help = f"Create demo organisations, users (password: {DEMO_PASSWORD}), schemes and portfolios. Safe to run again."

    def handle(self, *args: object, **options: object) -> None:
        with maintenance():
            for slug, name, colour, language, scheme in ORGANISATIONS:
                organisation, _ = Organisation.objects.update_or_create(
                    slug=slug, defaults={"name": name, "primary_colour": colour, "default_language": language})
                people = {}
                for role, local, first, last in ROLE_USERS:
                    user = self._user(demo_email(slug, local), first, last, language)
                    membership, _ = Membership.objects.get_or_create(organisation=organisation, user=user)
                    membership.set_roles([role])
                    membership.save()
                    people[role] = user
                _demo_portfolio(organisation, scheme, people[Role.PROFESSIONAL], people[Role.ADMIN])
            # One person certified by two bodies, to show the organisation switcher.
            both = self._user("multi@demo.demo", "Morgan", "Multi", "en")
            for slug in ("noloc", "cmi"):
                membership, _ = Membership.objects.get_or_create(
                    organisation=Organisation.objects.get(slug=slug), user=both)
                membership.set_roles([Role.PROFESSIONAL])
                membership.save()
            # Apps above this one add their demo data through a hook (billing: CMI's profile and invoices), so
            # the ground floor imports none of them.
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
