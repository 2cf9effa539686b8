"""Tenant scoping: two walls that fail closed.

1. **The ORM wall.** Tenant models use `TenantManager`. Its querysets refuse to run unless they were
   filtered on one organisation (`.filter(organisation=...)`, `.for_organisation(...)`, a reverse
   relation from an `Organisation`), or the code runs inside `maintenance()` — the explicit marker for
   platform-admin and maintenance code. A forgotten filter raises `UnscopedQuery` instead of leaking.

2. **The database wall.** On PostgreSQL every tenant table has a row-level-security policy that only
   shows rows whose `organisation_id` equals the transaction-local setting `app.organisation_id`
   (`set_config(..., true)`); with no setting nothing is visible. `maintenance()` also sets
   `app.maintenance = on`, which the policies honour, so both walls open and close together.

Every request runs in one transaction (`TenantTransactionMiddleware`), so transaction-local settings
live exactly as long as the request; files stored during a transaction that does not commit are removed when
it ends (`accounts.storage.stored_files_guard`). `member_required` resolves `/<org>/` to an organisation the user
belongs to, activates it in both walls and enforces roles; another organisation answers 404.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any, Self, cast

from django.core.exceptions import PermissionDenied
from django.db import connection, models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from accounts.models import Membership, Organisation, Role
    from accounts.requests import OrgRequest

_maintenance: contextvars.ContextVar[bool] = contextvars.ContextVar("tenancy_maintenance", default=False)

# Keyword lookups that pin a queryset to exactly one organisation.
SCOPING_KEYS = frozenset({"organisation", "organisation_id", "organisation__id", "organisation__pk",
                          "organisation__slug"})


class NotFound(Http404):
    """A 404 whose message is written for people; the 404 page shows it (Django's own stay hidden)."""


class UnscopedQuery(RuntimeError):
    """A tenant table was queried without an organisation filter outside maintenance code."""


class TenantQuerySet(models.QuerySet):
    """A queryset that knows whether it is pinned to one organisation and refuses to run if not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tenant_scoped = False

    def _clone(self) -> TenantQuerySet:
        clone = super()._clone()  # type: ignore[misc]  # QuerySet's private API, which django-stubs leaves out
        clone._tenant_scoped = self._tenant_scoped
        return clone

    def _filter_or_exclude_inplace(self, negate: bool, args: Any, kwargs: dict[str, Any]) -> None:
        if not negate and SCOPING_KEYS.intersection(kwargs):
            value = next(kwargs[k] for k in SCOPING_KEYS if k in kwargs)
            if value is not None:
                self._tenant_scoped = True
        super()._filter_or_exclude_inplace(negate, args, kwargs)  # type: ignore[misc]  # private API, as _clone

    def for_organisation(self, organisation: Organisation | int) -> Self:
        return self.filter(organisation=organisation)

    def _check_scope(self) -> None:
        if not self._tenant_scoped and not _maintenance.get():
            raise UnscopedQuery(
                f"{self.model.__name__} is tenant-owned: filter on an organisation, or run inside "
                "accounts.tenancy.maintenance() if this is platform/maintenance code."
            )

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            self._check_scope()
        super()._fetch_all()

    def iterator(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        self._check_scope()
        return super().iterator(*args, **kwargs)

    def count(self) -> int:
        if self._result_cache is None:
            self._check_scope()
        return super().count()

    def exists(self) -> bool:
        if self._result_cache is None:
            self._check_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._check_scope()
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        self._check_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._check_scope()
        return super().delete()


class TenantManager(models.Manager[Any]):
    """Default manager of every tenant-owned model (see module docstring).

    Its querysets are `TenantQuerySet`s (also through `from_queryset` with a subclass of it, such as
    `MembershipQuerySet`), so every query made through the manager is checked for its organisation.
    """

    _queryset_class = TenantQuerySet

    def get_queryset(self) -> TenantQuerySet:
        return cast(TenantQuerySet, super().get_queryset())

    def for_organisation(self, organisation: Organisation | int) -> TenantQuerySet:
        return self.get_queryset().for_organisation(organisation)

    def for_user(self, user: Any) -> TenantQuerySet:
        """A person's own rows across organisations (e.g. their memberships for the switcher).

        Sanctioned cross-tenant read: it is pinned to the requesting user instead of an organisation,
        and PostgreSQL's policy on the membership table allows exactly this (`app.user_id`).
        """
        qs = self.get_queryset().filter(user=user)
        qs._tenant_scoped = True
        return qs


# --- Context ---------------------------------------------------------------------------------------

def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _set_db_context(values: dict[str, str], *, fresh: bool = False) -> dict[str, str]:
    """Set transaction-local settings; return their previous values so callers can restore them.

    `fresh`: the transaction was just opened, so there is nothing to restore (saves a round trip).
    """
    if not _is_postgres() or not values:
        return {}
    names = list(values)
    with connection.cursor() as cursor:
        previous: dict[str, str] = {}
        if not fresh:
            cursor.execute("SELECT " + ", ".join(["current_setting(%s, true)"] * len(names)), names)
            previous = dict(zip(names, (v or "" for v in cursor.fetchone()), strict=True))
        params: list[str] = []
        for name, value in values.items():
            params += [name, value]
        cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)), params)
    return previous


@contextlib.contextmanager
def maintenance() -> Iterator[None]:
    """Explicitly mark platform-admin or maintenance code that may read across organisations.

    Opens (or joins) a transaction, because the database side is a transaction-local setting.
    """
    from accounts.storage import stored_files_guard

    token = _maintenance.set(True)
    try:
        with stored_files_guard(), transaction.atomic():
            previous = _set_db_context({"app.maintenance": "on"})
            try:
                yield
            finally:
                if not connection.needs_rollback:  # a rollback undoes the settings too (savepoint or not)
                    _set_db_context(previous)
    finally:
        _maintenance.reset(token)


def in_maintenance() -> bool:
    return _maintenance.get()


@contextlib.contextmanager
def tenant_context(organisation: Organisation | int | None, user_id: int | None = None) -> Iterator[None]:
    """Run code as inside one organisation (tasks, commands): both walls scoped to it, strict mode."""
    from accounts.storage import stored_files_guard

    org_id = getattr(organisation, "pk", organisation)
    token = _maintenance.set(False)
    fresh = not connection.in_atomic_block  # a new transaction: its settings end with it
    try:
        # The guard removes files written in a transaction that then does not commit (outermost only).
        with stored_files_guard(), transaction.atomic():
            previous = _set_db_context({
                "app.organisation_id": "" if org_id is None else str(org_id),
                "app.user_id": "" if user_id is None else str(user_id),
                "app.maintenance": "off",
            }, fresh=fresh)
            try:
                yield
            finally:
                if not fresh and not connection.needs_rollback:  # a rollback undoes the settings too
                    _set_db_context(previous)
    finally:
        _maintenance.reset(token)


def activate_organisation(organisation: Organisation) -> None:
    """Point the database wall at this organisation for the rest of the current transaction.

    No restore of its own: it runs inside the request's (or task's) `tenant_context`, which restores.
    """
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('app.organisation_id', %s, true)", [str(organisation.pk)])


class TenantTransactionMiddleware:
    """Run each request in one transaction with a fresh, strict tenant context.

    The user is known here; the organisation is set later by `member_required` once the URL's slug
    has been resolved. Platform superusers in the Django admin run in maintenance mode.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with tenant_context(None, user_id=user_id):
            if user is not None and user.is_superuser and request.path.startswith("/admin/"):
                with maintenance():
                    return self._respond(request)
            return self._respond(request)

    def _respond(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            # Django turns a view's error into this page before we see it: without this the half-done work
            # (and any file stored for it) would be committed. Deliberate answers (404, 403, 400) keep what
            # the view wrote first, such as an audit record of a refused attempt.
            transaction.set_rollback(True)
        return response


def get_membership(user: Any, organisation: Organisation) -> Membership | None:
    from accounts.models import Membership

    return Membership.objects.for_organisation(organisation).filter(user=user).first()


def member_required(*roles: Role) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Resolve `/<org>/`, require membership (404 otherwise) and one of `roles` if given (403 otherwise).

    Sets `request.organisation` and `request.membership`; the view keeps its `org` argument for reversing
    URLs. Anonymous visitors are sent to log in first, whatever the slug, so the login page does not tell
    which organisations exist.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            from django.contrib.auth.views import redirect_to_login

            from accounts.models import Organisation

            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            organisation = Organisation.objects.filter(slug=org).first()
            membership = None
            if organisation is not None:
                activate_organisation(organisation)
                membership = get_membership(request.user, organisation)
            if organisation is None or membership is None:
                raise NotFound(_("There is no organisation at this address, or you are not a member of it."))
            if roles and not membership.has_role(*roles):
                raise PermissionDenied(_("Your role in %(organisation)s does not give access to this page.")
                                       % {"organisation": organisation.name})
            org_request = cast("OrgRequest", request)
            org_request.organisation = organisation
            org_request.membership = membership
            if request.session.get("last_organisation") != organisation.slug:
                request.session["last_organisation"] = organisation.slug
            return view(request, org, *args, **kwargs)

        return wrapper

    return decorator
