"""Adopting, editing, importing and previewing an organisation's scheme versions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.services import audit_record
from schemes import rules
from schemes.models import SchemeVersion


def definition_validate(data: Any) -> rules.SchemeDefinition:
    """Validate a definition document; ValidationError maps each path to its reasons."""
    try:
        return rules.load_definition(data)
    except rules.DefinitionError as error:
        by_path: dict[str, list[str]] = defaultdict(list)
        for path, reason in error.errors:
            by_path[path or "definition"].append(reason)
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


# Who a scheme applies to lives in the apps above (portfolios: the active certifications and their holders'
# activities). The one that knows registers it from its AppConfig.ready, so this module imports none of them:
# (organisation, scheme code, as of) → [(certificate number, candidate context, activities)].
PreviewPopulation = Callable[[Organisation, str, dt.date],
                             Iterable[tuple[str, rules.CandidateContext, list[rules.ActivityInput]]]]
_preview_population: list[PreviewPopulation] = []


def register_preview_population(population: PreviewPopulation) -> None:
    _preview_population[:] = [population]


def scheme_preview(*, organisation: Organisation, code: str, proposed: rules.SchemeDefinition,
                   as_of: dt.date | None = None) -> Impact:
    """Evaluate every active certification of the scheme under its current version and under `proposed`.

    A fixed number of queries whatever the number of professionals: the version in force, the
    certifications, and all their holders' activities. Each definition is parsed once, not per row.
    """
    as_of = as_of or timezone.localdate()
    current = SchemeVersion.objects.for_organisation(organisation).current(code, on=as_of)
    if current is None:  # nothing in force yet: compare against the latest saved version
        current = SchemeVersion.objects.for_organisation(organisation).filter(code=code).order_by("-version").first()
    impact = Impact()
    if current is None or not _preview_population:
        return impact
    before_rules = current.rules
    for number, context, activities in _preview_population[0](organisation, code, as_of):
        try:
            # Compliance is all the preview needs: skip the explanations, sections and per-activity detail.
            before = rules.evaluate(before_rules, context, _known(before_rules, activities), detail=False).compliant
            after = rules.evaluate(proposed, context, _known(proposed, activities), detail=False).compliant
        except rules.ContextError:
            impact.not_evaluable += 1
            continue
        impact.evaluated += 1
        impact.compliant_before += before
        impact.compliant_after += after
        if after and not before:
            impact.become_compliant.append(number)
        elif before and not after:
            impact.become_non_compliant.append(number)
    return impact


def _known(definition: rules.SchemeDefinition, activities: list[rules.ActivityInput]) -> list[rules.ActivityInput]:
    """Only activities of types this scheme knows (one activity log serves several schemes)."""
    types = definition.activity_types
    return [activity for activity in activities if activity.type in types]
