"""An organisation's versions of a scheme definition. The rules themselves live in schemes/rules/."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from typing import cast

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from accounts.tenancy import TenantManager, TenantQuerySet
from schemes import rules


def _parsed(key: tuple, definition: dict) -> rules.SchemeDefinition:
    """Parse once per saved version; `created_at` in the key keeps a reused row id (SQLite) apart."""
    found = _PARSED.get(key)
    if found is None:
        found = rules.load_definition(definition)
        if len(_PARSED) >= 256:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = found
    return found


_PARSED: dict[tuple, rules.SchemeDefinition] = {}


class SchemeVersionQuerySet(TenantQuerySet):
    def current(self, code: str, on: object | None = None) -> SchemeVersion | None:
        """The version in force on a date (default today): latest effective date, then highest number."""
        on = on or timezone.localdate()
        return cast("SchemeVersion | None", self.filter(code=code, effective_from__lte=on)
                    .order_by("-effective_from", "-version").first())

    def in_force(self, on: object | None = None, codes: Iterable[str] | None = None, *,
                 definition: bool = True) -> dict[str, SchemeVersion]:
        """code → the version in force on a date (default today) of every scheme adopted (or of `codes`),
        in one query: the same choice as `current`. With `definition=False` the definition's JSON is not
        fetched: `version.rules` reads it only the first time a process needs it (versions never change)."""
        on = on or timezone.localdate()
        versions = self.filter(effective_from__lte=on)
        if not definition:
            versions = versions.defer("definition")
        if codes is not None:
            versions = versions.filter(code__in=set(codes))
        found: dict[str, SchemeVersion] = {}
        for version in cast("Iterable[SchemeVersion]", versions.order_by("code", "-effective_from", "-version")):
            found.setdefault(version.code, version)
        return found


class SchemeVersionManager(TenantManager.from_queryset(SchemeVersionQuerySet)):  # type: ignore[misc]  # dynamic base
    """Tenant-checked, with `SchemeVersionQuerySet`'s methods on the manager too (as `from_queryset` makes them)."""

    def get_queryset(self) -> SchemeVersionQuerySet:
        return cast(SchemeVersionQuerySet, super().get_queryset())

    def for_organisation(self, organisation: Organisation | int) -> SchemeVersionQuerySet:
        return self.get_queryset().for_organisation(organisation)


class SchemeVersion(models.Model):
    """One immutable version of a scheme definition adopted by an organisation.

    Editing never changes a saved version: it saves a new one with its own effective date, so dossiers and
    certifications keep the version they were started under.
    """

    class Source(models.TextChoices):
        SHIPPED = "shipped", _("Adopted from the shipped definition")
        EDITED = "edited", _("Edited in the product")
        IMPORTED = "imported", _("Imported from a file")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="scheme_versions")
    code = models.SlugField(_("scheme code"), max_length=80)
    version = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    effective_from = models.DateField(_("effective from"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    based_on = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    change_note = models.TextField(_("what changed and why"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("saved"), auto_now_add=True)

    objects = SchemeVersionManager()

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code", "version"], name="schemeversion_org_code_version"),
        ]
        indexes = [models.Index(fields=["organisation", "code", "effective_from"], name="schemeversion_current_idx")]

    def __str__(self) -> str:
        return f"{self.label} v{self.version}"

    @cached_property
    def rules(self) -> rules.SchemeDefinition:
        """The validated definition (saved versions were validated before saving).

        Saved versions never change, so the parsed definition is shared per process by primary key.
        """
        if self.pk is None:
            return rules.load_definition(self.definition)
        key = (self.pk, self.code, self.version, self.created_at)
        found = _PARSED.get(key)  # before touching `definition`, which a query may have deferred
        return found if found is not None else _parsed(key, self.definition)

    @property
    def label(self) -> str:
        labels = self.definition.get("label", {})
        return labels.get(translation.get_language() or "en") or labels.get("en") or self.code


class SchemePreview(models.Model):
    """What a proposed version would change for the organisation's professionals, computed in the background.

    One per scheme: a new preview (the next edit) replaces the previous one, so the results are kept until then.
    The task (schemes/tasks.py) evaluates the active certifications in chunks, in order of their primary key, and
    records its progress after each chunk; `token` tells a task that its preview has been replaced.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    SAMPLE = 10  # certificate numbers kept per direction of change, to name a few

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=80)
    token = models.CharField(max_length=32)
    proposed = models.JSONField()
    proposed_sha256 = models.CharField(max_length=64)
    current = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, null=True, related_name="+")
    as_of = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    last_pk = models.BigIntegerField(default=0)
    evaluated = models.PositiveIntegerField(default=0)
    compliant_before = models.PositiveIntegerField(default=0)
    compliant_after = models.PositiveIntegerField(default=0)
    not_evaluable = models.PositiveIntegerField(default=0)
    become_compliant_count = models.PositiveIntegerField(default=0)
    become_non_compliant_count = models.PositiveIntegerField(default=0)
    become_compliant = models.JSONField(default=list)
    become_non_compliant = models.JSONField(default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="schemepreview_org_code")]

    def __str__(self) -> str:
        return f"preview of {self.code}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, self.done * 100 // self.total) if self.total else 0

    @property
    def unchanged(self) -> int:
        return self.evaluated - self.become_compliant_count - self.become_non_compliant_count
