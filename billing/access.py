"""Who may open an invoice (accounts/access.py): its customer, and the organisation's administrators on their
pages. Another organisation's invoice, or another customer's, answers 404 whoever asks."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.access import Access, access_of, get_allowed, register_rule
from accounts.models import Role
from accounts.requests import OrgRequest
from billing.models import Invoice


def customer(access: Access) -> Q:
    return Q(customer=access.user)


def administrator(access: Access) -> Q | None:
    return Q() if access.has_role(Role.ADMIN) else None


def register_rules() -> None:
    register_rule("invoice", customer)
    register_rule("invoice.manage", customer)
    register_rule("invoice.manage", administrator)


def invoice_for(request: OrgRequest, pk: int, *, manage: bool = False, write: bool = False) -> Invoice:
    """The invoice if this member may see it: a customer their own; on the administrators' pages (`manage`) an
    administrator any of the organisation's. 404 otherwise."""
    return get_allowed("invoice.manage" if manage else "invoice",
                       Invoice.objects.select_related("organisation", "credit_of", "customer"),
                       access_of(request, write=write), pk, message=_("There is no invoice at this address."))
