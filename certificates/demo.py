"""Demo certificates: in every organisation one valid, one expired and one suspended (idempotent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.mail import site_url
from accounts.models import Membership, Organisation, User
from certificates.models import Certificate, CertificateEvent
from portfolios.models import Certification
from schemes.models import SchemeVersion

DEMO_HOLDERS = [
    # local part, first, last, state
    ("expired", "Eva", "Expired", "expired"),
    ("suspended", "Sam", "Suspended", "suspended"),
]


def _dates(code: str, expires: dt.date) -> dict[str, Any]:
    dates: dict[str, dict[str, Any]] = {
        "peoplecert-cpd": {"exam_passed_on": expires.replace(year=expires.year - 3), "product_series": "itil-4",
                           "membership_valid_until": expires.replace(year=expires.year + 1)},
        "cmi-register-loopbaanprofessional": {"recertification_date": expires},
        "noloc-register-jobcoach": {"recertification_date": expires},
        "ccmg-cpd": {"cycle_start": expires.replace(year=expires.year - 3) + dt.timedelta(days=1),
                     "designation": "CCOP"},
    }
    return dates.get(code, {})


def _holder(organisation: Organisation, local: str, first: str, last: str) -> User:
    from accounts.management.commands.seed_demo import DEMO_PASSWORD

    email = f"{local}@{organisation.slug}.demo"
    user, created = User.objects.get_or_create(email=email, defaults={
        "first_name": first, "last_name": last, "preferred_language": organisation.default_language})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    membership, _ = Membership.objects.get_or_create(organisation=organisation, user=user)
    membership.is_professional = True
    membership.save()
    return user


def _certificate(certification: Certification, scope: list[str]) -> Certificate:
    certificate = Certificate.objects.filter(certification=certification).first()
    if certificate is None:
        certificate = Certificate.objects.create(organisation=certification.organisation, certification=certification,
                                                 holder_name=certification.holder.get_full_name(), scope=scope,
                                                 city="Utrecht" if certification.organisation.slug in ("cmi", "noloc")
                                                 else "")
        CertificateEvent.objects.create(organisation=certification.organisation, certification=certification,
                                        kind=CertificateEvent.Kind.ISSUED, reason="Demo data", at=timezone.now(),
                                        data={"expires_on": [None, certification.expires_on.isoformat()
                                                             if certification.expires_on else None]})
    return certificate


def seed_certificates_demo() -> None:
    today = timezone.localdate()
    for organisation in Organisation.objects.filter(slug__in=["peoplecert", "cmi", "noloc", "ccmg"]):
        version = SchemeVersion.objects.filter(organisation=organisation).order_by("-version").first()
        if version is None:
            continue
        scope = ["career-guidance", "outplacement"] if version.code == "cmi-register-loopbaanprofessional" else []
        # The demo professional's certification is the valid one.
        valid = (Certification.objects.filter(organisation=organisation,
                                              holder__email=f"professional@{organisation.slug}.demo")
                 .select_related("holder").first())
        if valid is not None:
            if valid.expires_on is None:
                valid.expires_on = today + dt.timedelta(days=400)
                valid.save(update_fields=["expires_on"])
            _certificate(valid, scope)
        for local, first, last, state in DEMO_HOLDERS:
            holder = _holder(organisation, local, first, last)
            number = f"{organisation.slug.upper()}-{'9001' if state == 'expired' else '9002'}"
            expires = today - dt.timedelta(days=40) if state == "expired" else today + dt.timedelta(days=500)
            status = Certification.Status.LAPSED if state == "expired" else Certification.Status.SUSPENDED
            certification, _ = Certification.objects.get_or_create(
                organisation=organisation, number=number,
                defaults={"holder": holder, "scheme_version": version, "status": status, "expires_on": expires,
                          "issued_on": expires.replace(year=expires.year - 3), **_dates(version.code, expires)})
            certificate = _certificate(certification, scope)
            if state == "suspended" and certificate.suspended_until is None:
                certificate.suspended_until = today + dt.timedelta(days=60)
                certificate.save(update_fields=["suspended_until"])
                CertificateEvent.objects.create(organisation=organisation, certification=certification,
                                                kind=CertificateEvent.Kind.SUSPENDED, at=timezone.now(),
                                                reason="Demo: a complaint is being investigated.",
                                                data={"until": certificate.suspended_until.isoformat()})
            if state == "expired" and not CertificateEvent.objects.filter(
                    certification=certification, kind=CertificateEvent.Kind.LAPSED).exists():
                CertificateEvent.objects.create(organisation=organisation, certification=certification,
                                                kind=CertificateEvent.Kind.LAPSED, at=timezone.now(),
                                                reason="Expired without a renewal.")


def demo_verification_link() -> str | None:

    certificate = (Certificate.objects.filter(certification__holder__email="professional@cmi.demo")
                   .order_by("pk").first())
    if certificate is None:
        return None
    return site_url("verify", code=certificate.code)
