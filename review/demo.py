"""Demo data for review (called by `manage.py seed_demo` through ReviewConfig.seed_demo, inside maintenance):
a second assessor in each demo organisation, capacities and languages for both, and one declared relationship —
so a submitted CMI dossier is allocated automatically to two assessors."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.management.commands.seed_demo import DEMO_PASSWORD, ORGANISATIONS, demo_email
from accounts.models import Membership, Organisation, User
from review.models import AssessorProfile, Relationship

SECOND = ("assessor2", "Bo", "Beoordelaar")


def seed_review_demo() -> None:
    for slug, _name, _colour, language, _scheme in ORGANISATIONS:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            continue
        email = demo_email(slug, SECOND[0])
        user, created = User.objects.get_or_create(email=email, defaults={
            "first_name": SECOND[1], "last_name": SECOND[2], "preferred_language": language})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        membership, _created = Membership.objects.get_or_create(organisation=organisation, user=user)
        membership.is_assessor = True
        membership.save()
        first = User.objects.filter(email=demo_email(slug, "assessor")).first()
        for person in (first, user):
            if person is not None:
                AssessorProfile.objects.get_or_create(organisation=organisation, assessor=person,
                                                      defaults={"capacity": 12, "languages": []})
        if first is not None:
            Relationship.objects.get_or_create(organisation=organisation, assessor=first, kind="employer",
                                               name="Loopbaan & Co", defaults={"note": "former employer"})
