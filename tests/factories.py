"""Small builders that keep every object graph inside one organisation."""

from __future__ import annotations

from allauth.account.models import EmailAddress

from accounts.models import Invitation, Membership, Organisation, Role, User
from accounts.tenancy import maintenance

PASSWORD = "correct-horse-battery-staple"

__all__ = ["PASSWORD", "Invitation", "Membership", "Organisation", "User", "invitation", "member",
           "organisation", "user"]


def organisation(*, slug: str, name: str, **extra: object) -> Organisation:
    return Organisation.objects.create(slug=slug, name=name, **extra)


def user(email: str, *, first_name: str = "Test", last_name: str = "Person", **extra: object) -> User:
    created = User.objects.create_user(email=email, password=PASSWORD, first_name=first_name,
                                       last_name=last_name, **extra)
    EmailAddress.objects.create(user=created, email=email, verified=True, primary=True)
    return created


def member(org: Organisation, email: str, *roles: str, **extra: object) -> User:
    with maintenance():
        person = User.objects.filter(email=email).first() or user(email, **extra)
        membership = Membership(organisation=org, user=person)
        membership.set_roles([Role(r) for r in roles])
        membership.save()
    return person


def invitation(org: Organisation, email: str, role: str = "professional", **extra: object
               ) -> tuple[Invitation, str]:
    with maintenance():
        created = Invitation(organisation=org, email=email, role=role, **extra)
        token = created.new_token()
        created.save()
    return created, token
