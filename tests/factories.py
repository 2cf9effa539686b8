"""Small builders that keep every object graph inside one organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.models import EmailAddress

from accounts.models import Invitation, Membership, Organisation, User
from accounts.tenancy import maintenance

if TYPE_CHECKING:
    from portfolios.models import Activity, Certification

PASSWORD = "correct-horse-battery-staple"

__all__ = ["PASSWORD", "Invitation", "Membership", "Organisation", "User", "invitation", "member",
           "organisation", "user"]


def organisation(*, slug: str, name: str, **extra: object) -> Organisation:
    return Organisation.objects.create(slug=slug, name=name, **extra)


def user(email: str, *, first_name: str = "Test", last_name: str = "Person", **extra: Any) -> User:
    created = User.objects.create_user(email=email, password=PASSWORD, first_name=first_name,
                                       last_name=last_name, **extra)
    EmailAddress.objects.create(user=created, email=email, verified=True, primary=True)
    return created


def member(org: Organisation, email: str, *roles: str, **extra: Any) -> User:
    with maintenance():
        person = User.objects.filter(email=email).first() or user(email, **extra)
        membership, _created = Membership.objects.get_or_create(organisation=org, user=person)
        membership.set_roles([*map(str, membership.roles), *roles])
        membership.save()
    return person


def invitation(org: Organisation, email: str, role: str = "professional", **extra: object
               ) -> tuple[Invitation, str]:
    with maintenance():
        created = Invitation(organisation=org, email=email, role=role, **extra)
        token = created.new_token()
        created.save()
    return created, token


def certification(org: Organisation, holder: User, code: str = "noloc-register-jobcoach", *,
                  number: str | None = None, by: User | None = None, **fields: Any) -> Certification:
    """A certification under the organisation's version of `code` (adopted on first use)."""
    import datetime as dt

    from portfolios.models import Certification
    from schemes.models import SchemeVersion
    from schemes.services import scheme_adopt

    with maintenance():
        version = SchemeVersion.objects.filter(organisation=org, code=code).order_by("-version").first()
        if version is None:
            version = scheme_adopt(organisation=org, code=code, by=by or holder, effective_from=dt.date(2020, 1, 1))
        by_code: dict[str, dict[str, Any]] = {
            "noloc-register-jobcoach": {"recertification_date": dt.date(2027, 6, 1)},
            "cmi-register-loopbaanprofessional": {"recertification_date": dt.date(2027, 6, 1),
                                                  "expires_on": dt.date(2027, 6, 1)},
            "peoplecert-cpd": {"exam_passed_on": dt.date(2023, 4, 30), "product_series": "itil-4",
                               "membership_valid_until": dt.date(2030, 1, 1)},
            "ccmg-cpd": {"cycle_start": dt.date(2025, 1, 1), "designation": "CCOP"},
        }
        defaults = by_code.get(code, {})
        count = Certification.objects.filter(organisation=org).count()
        return Certification.objects.create(organisation=org, holder=holder, scheme_version=version,
                                            number=number or f"{org.slug.upper()}-{count + 1:04}",
                                            **{**defaults, **fields})


def activity(org: Organisation, owner: User, type_code: str, day: object, quantity: object, **fields: Any
             ) -> Activity:
    from decimal import Decimal

    from portfolios.models import Activity

    fields.setdefault("title", type_code.replace("-", " ").capitalize())
    with maintenance():
        return Activity.objects.create(organisation=org, owner=owner, type_code=type_code, date=day,
                                       quantity=Decimal(str(quantity)), **fields)
