from __future__ import annotations

import re
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseNotFound, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts import audit, services
from accounts.access import INVITATION_LINK, open_token_link
from accounts.forms import (
    InvitationForm,
    JoinRefuseForm,
    JoinRequestForm,
    LanguageForm,
    MembershipRolesForm,
    OrganisationSettingsForm,
    ProfileForm,
    form_add_errors,
    logo_image_type,
)
from accounts.mail_limits import MailLimitReached
from accounts.models import AuditEvent, Invitation, JoinRequest, Membership, Organisation, Role, User
from accounts.pagination import page_of
from accounts.requests import OrgRequest
from accounts.tenancy import NotFound, member_required


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Landing page for visitors; a member goes to their organisation (or chooses one)."""
    host_organisation = getattr(request, "host_organisation", None)
    if not request.user.is_authenticated:
        return render(request, "home.html")
    if host_organisation is not None:
        return redirect("org_home", org=host_organisation.slug)
    memberships = list(Membership.objects.for_user(request.user).select_related("organisation")
                       .order_by("organisation__name"))
    if len(memberships) == 1:
        return redirect("org_home", org=memberships[0].organisation.slug)
    return render(request, "accounts/choose_organisation.html", _joining(request, memberships))


def _joining(request: HttpRequest, memberships: list[Membership], form: JoinRequestForm | None = None,
             failed_slug: str = "") -> dict[str, object]:
    """What a signed-in person can join: the organisations that take requests (their names only), with the
    person's own open or recent requests."""
    requests = list(JoinRequest.objects.for_user(request.user).select_related("organisation")
                    .order_by("-created_at")[:20])
    pending = {item.organisation_id for item in requests if item.status == JoinRequest.Status.PENDING}
    member_of = {membership.organisation_id for membership in memberships}
    open_organisations = [
        {"organisation": organisation, "pending": organisation.pk in pending,
         "form": form if form is not None and organisation.slug == failed_slug
         else JoinRequestForm(auto_id=f"join-{organisation.slug}-%s")}
        for organisation in Organisation.objects.filter(allow_join_requests=True).only("pk", "name", "slug")
        if organisation.pk not in member_of]
    return {"memberships": memberships, "open_organisations": open_organisations,
            "join_requests": [item for item in requests if item.organisation_id not in member_of]}


@require_POST
@login_required
def join_request_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask to join an organisation that takes join requests (any other address answers 404)."""
    organisation = Organisation.objects.filter(slug=slug, allow_join_requests=True).first()
    if organisation is None:
        raise NotFound(_("There is no organisation at this address that takes join requests."))
    form = JoinRequestForm(request.POST, auto_id=f"join-{organisation.slug}-%s")
    if form.is_valid():
        try:
            services.join_request_create(organisation=organisation, user=cast(User, request.user),
                                         message=form.cleaned_data["message"])
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Your request to join %(organisation)s has been sent to its administrators. "
                                        "You will receive an e-mail when they have decided.")
                             % {"organisation": organisation.name})
            return redirect("home")
    memberships = list(Membership.objects.for_user(request.user).select_related("organisation"))
    return render(request, "accounts/choose_organisation.html",
                  _joining(request, memberships, form, organisation.slug), status=422)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        if user.preferred_language:
            translation.activate(user.preferred_language)
        messages.success(request, _("Your profile has been saved."))
        return redirect("profile")
    return render(request, "accounts/profile.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; a signed-in user's choice is saved on their profile too."""
    form = LanguageForm(request.POST)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = redirect(next_url)
    if form.is_valid():
        language = form.cleaned_data["language"]
        if request.user.is_authenticated and request.user.preferred_language != language:
            request.user.preferred_language = language
            request.user.save(update_fields=["preferred_language"])
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600,
                            samesite="Lax", secure=request.is_secure())
    return response


# --- Organisation administration -----------------------------------------------------------------

@require_GET
@member_required(Role.ADMIN)
@vary_on_headers("HX-Request")
def members(request: OrgRequest, org: str) -> HttpResponse:
    qs = (Membership.objects.for_organisation(request.organisation).select_related("user")
          .order_by("user__last_name", "user__first_name", "user__email"))
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(user__email__icontains=query) | Q(user__first_name__icontains=query)
                       | Q(user__last_name__icontains=query))
    role = request.GET.get("role", "")
    if role in Role.values:
        qs = qs.with_role(Role(role))
    page = page_of(request, qs)
    context = {"page": page, "query": query, "role": role, "roles": Role.choices}
    if request.htmx:
        return render(request, "accounts/members.html#member-table", context)
    invitations = list(Invitation.objects.for_organisation(request.organisation)
                   .filter(accepted_at__isnull=True, revoked_at__isnull=True).select_related("invited_by"))
    if invitations:  # whether each may be sent again (one query for all)
        services.invitation_allowances(organisation=request.organisation, invitations=invitations)
    context["invitations"] = invitations
    return render(request, "accounts/members.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def member_edit(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"),
                                   organisation=request.organisation, pk=pk)
    form = MembershipRolesForm(request.POST or None, initial={"roles": [str(r) for r in membership.roles]})
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update_roles(membership=membership, roles=form.cleaned_data["roles"],
                                             by=request.user)
        except ValidationError as error:
            form_add_errors(form, error, field="roles")
        else:
            messages.success(request, _("The roles of %(user)s have been saved.") % {"user": membership.user})
            return redirect("members", org=org)
    return render(request, "accounts/member_edit.html", {"form": form, "member": membership})


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def member_remove(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    membership = get_object_or_404(Membership.objects.select_related("user"),
                                   organisation=request.organisation, pk=pk)
    error = None
    if request.method == "POST":
        try:
            services.membership_remove(membership=membership, by=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("%(user)s has been removed.") % {"user": membership.user})
            return redirect("members", org=org)
    return render(request, "accounts/member_remove.html", {"member": membership, "error": error},
                  status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def invitation_create(request: OrgRequest, org: str) -> HttpResponse:
    form = InvitationForm(request.POST or None)
    status, refusal = 200, ""
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(organisation=request.organisation, by=request.user,
                                       email=form.cleaned_data["email"], role=form.cleaned_data["role"])
        except MailLimitReached as error:  # the form keeps what was typed; the message says until when
            status, refusal = 429, error.messages[0]
        except ValidationError as error:
            form_add_errors(form, error, field="email")
        else:
            messages.success(request, _("An invitation has been sent to %(email)s.")
                             % {"email": form.cleaned_data["email"]})
            return redirect("members", org=org)
    allowance = services.invitation_allowances(organisation=request.organisation, invitations=[])
    return render(request, "accounts/invitation_form.html",
                  {"form": form, "valid_days": settings.INVITATION_VALID_DAYS, "allowance": allowance,
                   "refusal": refusal}, status=status)


@require_POST
@member_required(Role.ADMIN)
def invitation_resend(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    """Send the invitation again; a limit reached comes back as a message naming it and when it resets."""
    invitation = get_object_or_404(Invitation, organisation=request.organisation, pk=pk)
    try:
        services.invitation_resend(invitation=invitation, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The invitation to %(email)s has been sent again.")
                         % {"email": invitation.email})
    return redirect("members", org=org)


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def invitation_revoke(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, organisation=request.organisation, pk=pk)
    if request.method == "POST":
        try:
            services.invitation_revoke(invitation=invitation, by=request.user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("The invitation to %(email)s has been revoked.")
                             % {"email": invitation.email})
        return redirect("members", org=org)
    return render(request, "accounts/invitation_revoke.html", {"invitation": invitation})


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def organisation_settings(request: OrgRequest, org: str) -> HttpResponse:
    form = OrganisationSettingsForm(request.POST or None, request.FILES or None, instance=request.organisation)
    if request.method == "POST" and form.is_valid():
        services.organisation_update(organisation=form.save(commit=False), by=request.user,
                                     changed=form.changed_data)
        messages.success(request, _("The organisation's settings have been saved."))
        return redirect("organisation_settings", org=org)
    return render(request, "accounts/organisation_settings.html", {"form": form})


@require_GET
@member_required(Role.ADMIN)
def audit_log(request: OrgRequest, org: str) -> HttpResponse:
    qs = AuditEvent.objects.for_organisation(request.organisation).select_related("actor")
    action = request.GET.get("action", "")
    if action:
        qs = qs.filter(action=action)
    page = page_of(request, qs)
    return render(request, "accounts/audit_log.html",
                  {"page": page, "action": action, "actions": audit.action_choices()})


@require_GET
@member_required(Role.ADMIN)
def join_requests(request: OrgRequest, org: str) -> HttpResponse:
    qs = JoinRequest.objects.for_organisation(request.organisation).select_related("user", "decided_by")
    status = request.GET.get("status", JoinRequest.Status.PENDING)
    if status in JoinRequest.Status.values:
        qs = qs.filter(status=status)
    return render(request, "accounts/join_requests.html",
                  {"page": page_of(request, qs), "status": status, "statuses": JoinRequest.Status.choices})


@require_http_methods(["GET", "POST"])
@member_required(Role.ADMIN)
def join_request_decide(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    join_request = get_object_or_404(JoinRequest.objects.for_organisation(request.organisation)
                                     .select_related("user", "decided_by"), pk=pk)
    action = request.POST.get("action")
    refuse = JoinRefuseForm(request.POST if action == "refuse" else None)
    error = None
    if request.method == "POST":
        try:
            if action == "approve":
                services.join_request_approve(join_request=join_request, by=request.user)
                messages.success(request, _("%(user)s is now a professional member.") % {"user": join_request.user})
                return redirect("join_requests", org=org)
            if action == "refuse" and refuse.is_valid():
                services.join_request_refuse(join_request=join_request, by=request.user,
                                             reason=refuse.cleaned_data["reason"])
                messages.success(request, _("The request of %(user)s has been refused; they have been told why.")
                                 % {"user": join_request.user})
                return redirect("join_requests", org=org)
        except ValidationError as exc:
            if action == "refuse":
                form_add_errors(refuse, exc)  # a missing reason on its field; "already decided" above the form
            else:
                error = exc.messages[0]
    failed = request.method == "POST"
    return render(request, "accounts/join_request_decide.html",
                  {"join_request": join_request, "refuse": refuse, "error": error}, status=422 if failed else 200)


# --- Invitation links -----------------------------------------------------------------------------

@require_http_methods(["GET", "POST"])
@never_cache
def invitation_accept(request: HttpRequest, org: str, token: str) -> HttpResponse:
    """The link in an invitation e-mail. Sign-in (or sign-up) comes first, then one click to join."""
    from django.contrib.auth.views import redirect_to_login

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    link = open_token_link(request, org, token, INVITATION_LINK)
    organisation, invitation = link.organisation, link.obj
    error = None
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("Welcome to %(organisation)s.") % {"organisation": organisation.name})
            return redirect("org_home", org=organisation.slug)
    return render(request, "accounts/invitation_accept.html",
                  {"invitation": invitation, "invite_organisation": organisation, "error": error,
                   "state": invitation.state, "email_matches":
                   invitation.email.lower() == request.user.email.lower()},
                  status=400 if error else 200)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 page: our own messages (NotFound) are shown; Django's technical ones are not."""
    from django.template import loader

    message = str(exception.args[0]) if isinstance(exception, NotFound) and exception.args else ""
    body = loader.render_to_string("404.html", {"message": message}, request)
    return HttpResponseNotFound(body)


@require_GET
def organisation_logo(request: HttpRequest, org: str) -> FileResponse:
    """An organisation's logo: public branding, shown on its pages and its white-label host."""
    organisation = Organisation.objects.filter(slug=org).exclude(logo="").first()
    if organisation is None:
        raise NotFound(_("This organisation has no logo."))
    organisation.logo.open("rb")
    kind = logo_image_type(organisation.logo.read(16))
    organisation.logo.seek(0)
    response = FileResponse(organisation.logo, content_type=kind or "application/octet-stream")
    response["Cache-Control"] = "public, max-age=3600"
    return response


BRAND_COLOUR = re.compile(r"[0-9a-f]{6}")


@require_GET
def brand_stylesheet(request: HttpRequest, colour: str) -> HttpResponse:
    """An organisation's brand colour as a stylesheet, so pages need no inline <style> (the CSP allows none).

    The colour is the whole content and is in the address, so it is cached for good and a new colour is a new
    address; only six hex digits are accepted, so nothing else can be written into the CSS.
    """
    if not BRAND_COLOUR.fullmatch(colour):
        raise NotFound(_("There is no such colour."))
    response = HttpResponse(f":root {{ --brand: #{colour}; }}\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# --- Health --------------------------------------------------------------------------------------

@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database must answer; the broker's state is reported."""
    from celery import current_app as app  # the project's app (config/celery.py), without importing config

    result: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        result["database"] = "ok"
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        result["database"] = "unavailable"
    if settings.CELERY_TASK_ALWAYS_EAGER:
        result["broker"] = "in-process"
    else:
        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            result["broker"] = "ok"
        except Exception:  # noqa: BLE001
            result["broker"] = "unreachable"
    status = 200 if result["database"] == "ok" else 503
    return JsonResponse(result, status=status)
