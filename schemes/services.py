"""Adopting, editing, importing and previewing an organisation's scheme versions."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.services import audit_record
from schemes import rules
from schemes.models import SchemePreview, SchemeVersion


def definition_validate(data: Any) -> rules.SchemeDefinition:
    """Validate a definition document; ValidationError maps each path to its reasons, in the active language."""
    try:
        return rules.load_definition(data)
    except rules.DefinitionError as error:
        language = translation.get_language() or "en"
        by_path: dict[str, list[str]] = defaultdict(list)
        for path, message in error.problems:
            by_path[path or "definition"].append(rules.render_message(message, None, language, gettext))
        raise ValidationError(dict(by_path)) from error


def _next_version(organisation: Organisation, code: str) -> int:
    # Lock the scheme's versions so two administrators saving at once get distinct numbers.
    versions = SchemeVersion.objects.for_organisation(organisation).filter(code=code).select_for_update()
    list(versions.values_list("pk", flat=True))
    return (versions.aggregate(highest=Max("version"))["highest"] or 0) + 1


@transaction.atomic
def scheme_version_save(*, organisation: Organisation, data: dict[str, Any], effective_from: dt.date,
                        by: User, source: str, note: str = "", based_on: SchemeVersion | None = None
                        ) -> SchemeVersion:
    """Validate and save a definition as the organisation's next version of its scheme."""
    definition = definition_validate(data)
    if based_on is not None and definition.code != based_on.code:
        raise ValidationError({"code": [_("The scheme code cannot change (it was %(code)s).")
                                         % {"code": based_on.code}]})
    current = SchemeVersion.objects.for_organisation(organisation).current(definition.code, on=dt.date.max)
    if current is not None and effective_from < current.effective_from:
        raise ValidationError({"effective_from": [
            _("Choose a date on or after %(date)s, when the latest version takes effect.")
            % {"date": current.effective_from.isoformat()}]})
    number = _next_version(organisation, definition.code)
    canonical = rules.dump_definition(definition)
    canonical["version"] = number
    version = SchemeVersion.objects.create(
        organisation=organisation, code=definition.code, version=number, definition=canonical,
        effective_from=effective_from, source=source, change_note=note, based_on=based_on, created_by=by)
    audit_record(organisation=organisation, actor=by, action="scheme.version", scheme=definition.code,
                 version=number, source=source, effective_from=effective_from.isoformat())
    scheme_preview_discard(organisation=organisation, code=definition.code)
    return version


def scheme_adopt(*, organisation: Organisation, code: str, by: User,
                 effective_from: dt.date | None = None) -> SchemeVersion:
    """Adopt a shipped definition as the organisation's first version of it."""
    shipped = rules.shipped_definitions()
    if code not in shipped:
        raise ValidationError(_("There is no shipped scheme %(code)s.") % {"code": code})
    if SchemeVersion.objects.for_organisation(organisation).filter(code=code).exists():
        raise ValidationError(_("This organisation has already adopted this scheme; edit it instead."))
    return scheme_version_save(organisation=organisation, data=shipped[code], by=by,
                               effective_from=effective_from or timezone.localdate(),
                               source=SchemeVersion.Source.SHIPPED)


@dataclass
class Impact:
    """What a proposed version would change for the organisation's current certifications."""

    evaluated: int = 0
    compliant_before: int = 0
    compliant_after: int = 0
    become_compliant: list[str] = field(default_factory=list)
    become_non_compliant: list[str] = field(default_factory=list)
    not_evaluable: int = 0

    @property
    def unchanged(self) -> int:
        return self.evaluated - len(self.become_compliant) - len(self.become_non_compliant)


PREVIEW_CHUNK = 2000  # certifications per chunk: a chunk's activities stay a few tens of megabytes at most


@dataclass
class Chunk:
    """One chunk's share of a preview; `last_pk` is where the next chunk starts (keyset)."""

    size: int = 0
    last_pk: int = 0
    evaluated: int = 0
    compliant_before: int = 0
    compliant_after: int = 0
    not_evaluable: int = 0
    become_compliant: list[str] = field(default_factory=list)
    become_non_compliant: list[str] = field(default_factory=list)


# Who a scheme applies to lives in the apps above (portfolios: the active certifications and their holders'
# activities). The app that knows registers it from its AppConfig.ready, so this module imports none of them.
@dataclass(frozen=True)
class PreviewPopulation:
    """`count(organisation, code)`: how many the preview will evaluate; `chunk(organisation, code, as_of,
    after_pk, size)`: the next `size` of them by primary key, as (pk, certificate number, candidate context,
    activities) — a fixed number of queries per chunk."""

    count: Callable[[Organisation | int, str], int]
    chunk: Callable[[Organisation | int, str, dt.date, int, int],
                    list[tuple[int, str, rules.CandidateContext, list[rules.ActivityInput]]]]


_preview_population: list[PreviewPopulation] = []


def register_preview_population(population: PreviewPopulation) -> None:
    _preview_population[:] = [population]


def _preview_count(organisation: Organisation | int, code: str) -> int:
    return _preview_population[0].count(organisation, code) if _preview_population else 0


def preview_current(organisation: Organisation, code: str, as_of: dt.date) -> SchemeVersion | None:
    """What a proposal is compared with: the version in force, else (none in force yet) the latest saved."""
    versions = SchemeVersion.objects.for_organisation(organisation)
    return versions.current(code, on=as_of) or versions.filter(code=code).order_by("-version").first()


def preview_chunk(*, organisation: Organisation | int, code: str, before: rules.SchemeDefinition,
                  proposed: rules.SchemeDefinition, as_of: dt.date, after_pk: int = 0,
                  size: int = PREVIEW_CHUNK) -> Chunk:
    """Evaluate the next `size` active certifications (primary key above `after_pk`) under both definitions.

    Two queries whatever the chunk holds: the certifications, and their holders' activities.
    """
    rows = _preview_population[0].chunk(organisation, code, as_of, after_pk, size) if _preview_population else []
    chunk = Chunk(size=len(rows), last_pk=rows[-1][0] if rows else after_pk)
    for _pk, number, context, activities in rows:
        try:
            # Compliance is all the preview needs: skip the explanations, sections and per-activity detail.
            was = rules.evaluate(before, context, _known(before, activities), detail=False).compliant
            becomes = rules.evaluate(proposed, context, _known(proposed, activities), detail=False).compliant
        except rules.ContextError:
            chunk.not_evaluable += 1
            continue
        chunk.evaluated += 1
        chunk.compliant_before += was
        chunk.compliant_after += becomes
        if becomes and not was:
            chunk.become_compliant.append(number)
        elif was and not becomes:
            chunk.become_non_compliant.append(number)
    return chunk


def scheme_preview(*, organisation: Organisation, code: str, proposed: rules.SchemeDefinition,
                   as_of: dt.date | None = None, size: int | None = None) -> Impact:
    """The whole preview at once, in this process (the same chunks the background task runs; for commands and
    benchmarks — pages start `scheme_preview_start`)."""
    as_of = as_of or timezone.localdate()
    impact = Impact()
    current = preview_current(organisation, code, as_of)
    if current is None:
        return impact
    after = 0
    while True:
        chunk = preview_chunk(organisation=organisation, code=code, before=current.rules, proposed=proposed,
                              as_of=as_of, after_pk=after, size=size or PREVIEW_CHUNK)
        if not chunk.size:
            return impact
        after = chunk.last_pk
        impact.evaluated += chunk.evaluated
        impact.compliant_before += chunk.compliant_before
        impact.compliant_after += chunk.compliant_after
        impact.not_evaluable += chunk.not_evaluable
        impact.become_compliant += chunk.become_compliant
        impact.become_non_compliant += chunk.become_non_compliant


@transaction.atomic
def scheme_preview_start(*, organisation: Organisation, code: str, proposed: rules.SchemeDefinition, by: User,
                         as_of: dt.date | None = None) -> SchemePreview:
    """Queue the preview of `proposed` (the task runs it in chunks) and return it at once.

    It replaces the scheme's previous preview, unless that one is of the same proposal against the same version
    on the same day and did not fail: then it is returned as it is (finished or still running).
    """
    from accounts.outbox import outbox_enqueue

    as_of = as_of or timezone.localdate()
    data = rules.dump_definition(proposed)
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    current = preview_current(organisation, code, as_of)
    previews = SchemePreview.objects.for_organisation(organisation)
    previous = previews.select_for_update().filter(code=code).first()
    if (previous is not None and previous.proposed_sha256 == digest and previous.as_of == as_of
            and previous.current_id == (current.pk if current else None)
            and previous.status != SchemePreview.Status.FAILED):
        return previous
    if previous is not None:
        previous.delete()
    preview = SchemePreview.objects.create(
        organisation=organisation, code=code, token=secrets.token_hex(16), proposed=data, proposed_sha256=digest,
        current=current, as_of=as_of, created_by=by)
    outbox_enqueue("schemes.tasks.scheme_preview_run", organisation_id=organisation.pk, preview_id=preview.pk,
                   token=preview.token)
    return preview


def scheme_preview_discard(*, organisation: Organisation, code: str) -> None:
    """The scheme changed (a version was saved): its preview no longer describes anything."""
    SchemePreview.objects.for_organisation(organisation).filter(code=code).delete()


def scheme_preview_step(*, organisation: Organisation | int, preview_id: int, token: str) -> bool:
    """Evaluate the preview's next chunk and record it (one transaction); False when there is nothing left to do
    (finished, or replaced by a newer preview)."""
    with transaction.atomic():
        preview = (SchemePreview.objects.for_organisation(organisation).select_for_update(of=("self",))
                   .filter(pk=preview_id, token=token).select_related("current").first())
        if preview is None or preview.finished:
            return False
        if preview.current is None:
            return _preview_finish(preview)
        if preview.status == SchemePreview.Status.QUEUED:  # counted here, not in the request that queued it
            preview.total = _preview_count(organisation, preview.code)
        chunk = preview_chunk(organisation=organisation, code=preview.code, before=preview.current.rules,
                              proposed=_proposed(preview), as_of=preview.as_of, after_pk=preview.last_pk,
                              size=PREVIEW_CHUNK)
        if not chunk.size:
            return _preview_finish(preview)
        preview.status = SchemePreview.Status.RUNNING
        preview.last_pk = chunk.last_pk
        preview.done += chunk.size
        preview.total = max(preview.total, preview.done)
        preview.evaluated += chunk.evaluated
        preview.compliant_before += chunk.compliant_before
        preview.compliant_after += chunk.compliant_after
        preview.not_evaluable += chunk.not_evaluable
        preview.become_compliant_count += len(chunk.become_compliant)
        preview.become_non_compliant_count += len(chunk.become_non_compliant)
        preview.become_compliant = (preview.become_compliant + chunk.become_compliant)[:SchemePreview.SAMPLE]
        preview.become_non_compliant = (preview.become_non_compliant
                                        + chunk.become_non_compliant)[:SchemePreview.SAMPLE]
        preview.save()
        return True


def scheme_preview_failed(*, organisation: Organisation | int, preview_id: int, token: str) -> None:
    SchemePreview.objects.for_organisation(organisation).filter(pk=preview_id, token=token).update(
        status=SchemePreview.Status.FAILED, finished_at=timezone.now())


def _preview_finish(preview: SchemePreview) -> bool:
    preview.status = SchemePreview.Status.DONE
    preview.finished_at = timezone.now()
    preview.total = preview.done
    preview.save()
    return False


def _proposed(preview: SchemePreview) -> rules.SchemeDefinition:
    """The proposal parsed once per process and preview (a preview's proposal never changes)."""
    key = (preview.pk, preview.token)
    found = _PROPOSALS.get(key)
    if found is None:
        found = rules.load_definition(preview.proposed)
        if len(_PROPOSALS) >= 16:
            _PROPOSALS.pop(next(iter(_PROPOSALS)))
        _PROPOSALS[key] = found
    return found


_PROPOSALS: dict[tuple[int, str], rules.SchemeDefinition] = {}


def _known(definition: rules.SchemeDefinition, activities: list[rules.ActivityInput]) -> list[rules.ActivityInput]:
    """Only activities of types this scheme knows (one activity log serves several schemes)."""
    types = definition.activity_types
    return [activity for activity in activities if activity.type in types]
