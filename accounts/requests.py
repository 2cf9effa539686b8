"""Typed requests: what the views may rely on after the middleware and `member_required` have run.

`OrgRequest` is the request of an organisation page (`/<org>/…`, decorated `@member_required`): a signed-in
user, the organisation from the address and the user's membership in it, and django-htmx's details. Annotate
an organisation view's `request` with it; mypy then checks every `request.organisation` and `request.htmx`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from accounts.models import Membership, Organisation, User


class OrgRequest(HttpRequest):
    """A request inside one organisation (set by `accounts.tenancy.member_required`)."""

    user: User  # type: ignore[assignment]  # member_required lets only signed-in users through
    organisation: Organisation
    membership: Membership
    htmx: HtmxDetails


class PublicRequest(HttpRequest):
    """A request of a public page of one organisation (token links): branding, no membership."""

    organisation: Organisation
    htmx: HtmxDetails
