"""Demo data of the portfolios app (`manage.py seed_demo` calls PortfoliosConfig.seed_demo): each demo
organisation's scheme, and its demo professional's certification part-way through the cycle with a few
activities, so the dashboard has something to say. Idempotent."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.management.commands.seed_demo import ORGANISATIONS, demo_email
from accounts.models import Organisation, User
from portfolios.models import Activity, Certification
from schemes.models import SchemeVersion
from schemes.services import scheme_adopt


def seed_portfolios_demo() -> None:
    for slug, _name, _colour, _language, scheme in ORGANISATIONS:
        organisation = Organisation.objects.get(slug=slug)
        holder = User.objects.get(email=demo_email(slug, "professional"))
        admin = User.objects.get(email=demo_email(slug, "admin"))
        demo_portfolio(organisation, scheme, holder, admin)


def demo_portfolio(organisation: Organisation, scheme: str, holder: User, admin: User) -> None:
    """A certification part-way through its cycle, so the dashboard has something to say."""
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
