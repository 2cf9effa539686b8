"""Signed statements: the professional requests, resends and withdraws; the signer signs or declines.

The signing page is public (the signer has no account): `accounts.access.open_token_link` looks the token up
inside the organisation named in the address only, so another organisation's token finds nothing there.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.access import open_token_link
from accounts.forms import form_add_errors
from accounts.mail_limits import MailLimitReached
from accounts.models import Role
from accounts.requests import OrgRequest
from accounts.tenancy import NotFound, member_required
from dossiers import access
from dossiers.forms.statements import FIELD_PREFIX, StatementDeclineForm, StatementRequestForm, StatementSignForm
from dossiers.models import Dossier, StatementRequest
from dossiers.services import statements as services
from dossiers.services.dossiers import statement_state
from dossiers.views.dossiers import locked_message
from portfolios import reports


def _back(org: str, statement: StatementRequest) -> HttpResponse:
    return redirect("dossier_section", org=org, pk=statement.dossier_id, code=statement.section_code)


def _labels(statement_or_dossier: StatementRequest | Dossier, section_code: str, requirement_code: str
            ) -> dict[str, Any]:
    dossier = (statement_or_dossier.dossier if isinstance(statement_or_dossier, StatementRequest)
               else statement_or_dossier)
    section, requirement = services.statement_requirement(dossier, section_code, requirement_code)
    return {"section_label": reports.label(section.label, section.code),
            "requirement": requirement,
            "requirement_label": reports.label(requirement.label, requirement.code),
            "requirement_description": reports.label(requirement.description),
            "signer_hint": reports.label(requirement.signer)}


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def statement_request(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Ask someone to sign a statement for `?section=<code>&requirement=<code>` of the dossier."""
    dossier = access.dossier_for(request, pk, write=request.method == "POST")
    section_code = request.GET.get("section", "")
    requirement_code = request.GET.get("requirement", "")
    try:
        labels = _labels(dossier, section_code, requirement_code)
    except ValidationError as error:
        raise NotFound(error.messages[0]) from error
    if dossier.is_locked and request.method == "POST":
        raise PermissionDenied(locked_message())
    form = StatementRequestForm(request.POST or None, signer_hint=labels["signer_hint"])
    status, refusal = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            statement = services.statement_request(dossier=dossier, section_code=section_code,
                                                   requirement_code=requirement_code, by=request.user,
                                                   **form.cleaned_data)
        except MailLimitReached as error:  # the form keeps what was typed; the message says until when
            status, refusal = 429, error.messages[0]
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("%(name)s has been asked by e-mail to sign. The link works for %(days)s "
                                        "days.") % {"name": statement.signer_name, "days": services.valid_days()})
            return _back(org, statement)
    allowance = services.statement_allowances(organisation=request.organisation, sender=request.user, statements=[])
    return render(request, "dossiers/statements/statement_request.html", {
        "dossier": dossier, "form": form, "section_code": section_code, "requirement_code": requirement_code,
        "valid_days": services.valid_days(), "locked_message": locked_message() if dossier.is_locked else "",
        "allowance": allowance, "refusal": refusal, **labels}, status=422 if form.errors else status)


@require_POST
@member_required(Role.PROFESSIONAL)
def statement_resend(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Send a new link; a limit reached comes back as a message naming it and when it resets."""
    statement = access.statement_for(request, pk, write=True)
    if statement.dossier.is_locked and not statement.dossier.statement_reopened(statement.pk):
        raise PermissionDenied(locked_message())
    try:
        services.statement_resend(statement=statement, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("A new link has been sent to %(email)s; the previous link no longer works.")
                         % {"email": statement.signer_email})
    return _back(org, statement)


@require_http_methods(["GET", "POST"])
@member_required(Role.PROFESSIONAL)
def statement_withdraw(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Confirm, then withdraw an open request (its link stops working). Signed statements are final."""
    statement = access.statement_for(request, pk, write=request.method == "POST")
    if statement.dossier.is_locked and request.method == "POST":
        raise PermissionDenied(locked_message())
    state = statement_state(statement)
    if request.method == "POST":
        try:
            services.statement_withdraw(statement=statement, by=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("The request to %(name)s has been withdrawn.")
                             % {"name": statement.signer_name})
        return _back(org, statement)
    return render(request, "dossiers/statements/statement_withdraw.html", {
        "statement": statement, "dossier": statement.dossier, "state": state,
        "locked_message": locked_message() if statement.dossier.is_locked else "",
        **_labels(statement, statement.section_code, statement.requirement_code)})


# Name fields of the shipped statements (stable codes, SCHEMES.md) and whose name they ask for.
PROFESSIONAL_NAME_FIELDS = frozenset({"jobcoach-name"})
SIGNER_NAME_FIELDS = frozenset({"facilitator-name"})


def _prefill(statement: StatementRequest, context: dict[str, Any]) -> dict[str, Any]:
    """What the professional already gave: the signer's name (as the signature and where the statement asks for
    it) and the professional's own name; the signer can change any of it."""
    initial: dict[str, Any] = {"signed_name": statement.signer_name}
    owner_name = statement.dossier.owner.get_full_name()
    for item in context["requirement"].fields:
        if item.code in SIGNER_NAME_FIELDS:
            initial[FIELD_PREFIX + item.code] = statement.signer_name
        elif item.code in PROFESSIONAL_NAME_FIELDS and owner_name:
            initial[FIELD_PREFIX + item.code] = owner_name
    return initial


@require_http_methods(["GET", "POST"])
@never_cache
def statement_sign(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """The signer's page (no account): who asks, what is confirmed, the fields, a typed-name signature.

    Closed links (expired, signed, declined, withdrawn, dossier submitted) say so with status 410.
    """
    link = open_token_link(request, org, token, access.STATEMENT_LINK)
    statement = link.obj
    if settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        # The language the e-mail was written in (the organisation's), until the signer picks another.
        translation.activate(statement.organisation.default_language)
        request.LANGUAGE_CODE = translation.get_language()
    context = {"statement": statement, "requester": statement.dossier.owner, "no_account_links": True,
               **_labels(statement, statement.section_code, statement.requirement_code)}
    if not link.is_open:
        return _closed(request, context, link.state)
    sign_form = StatementSignForm(requirement=context["requirement"], initial=_prefill(statement, context))
    decline_form = StatementDeclineForm()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "decline":
                decline_form = StatementDeclineForm(request.POST)
                if decline_form.is_valid():
                    services.statement_decline(statement=statement, reason=decline_form.cleaned_data["reason"])
                    return render(request, "dossiers/statements/statement_done.html",
                                  {**context, "declined": True})
            else:
                sign_form = StatementSignForm(request.POST, requirement=context["requirement"])
                if sign_form.is_valid():
                    services.statement_sign(statement=statement, fields=sign_form.statement_fields(),
                                            signed_name=sign_form.cleaned_data["signed_name"])
                    return render(request, "dossiers/statements/statement_done.html",
                                  {**context, "declined": False})
        except ValidationError as error:
            if error.code in ("expired", "signed", "declined", "withdrawn", "submitted"):
                return _closed(request, context, error.code)
            target = decline_form if action == "decline" else sign_form
            form_add_errors(target, error, prefix=FIELD_PREFIX)
    status = 422 if sign_form.errors or decline_form.errors else 200
    return render(request, "dossiers/statements/statement_sign.html",
                  {**context, "form": sign_form, "decline_form": decline_form,
                   "decline_open": bool(decline_form.errors)}, status=status)


def _closed(request: HttpRequest, context: dict[str, object], state: str) -> HttpResponse:
    return render(request, "dossiers/statements/statement_closed.html",
                  {**context, "state": state, "message": services.closed_message(state)}, status=410)


urlpatterns = [
    path("dossiers/<int:pk>/statements/new/", statement_request, name="statement_request"),
    path("statements/<int:pk>/resend/", statement_resend, name="statement_resend"),
    path("statements/<int:pk>/withdraw/", statement_withdraw, name="statement_withdraw"),
    path("sign/<str:token>/", statement_sign, name="statement_sign"),
]
