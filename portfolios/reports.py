"""The one way the Django side asks the rules engine, and words its answers for people.

Every number a professional sees comes from here: the dashboard, the activity form's live preview, the
dossier's checklist and submission check, reminders and exports all call `evaluate_certification`, and
every engine message is put into words by `say` in the current language with the locale's number and
date formats. Nothing outside schemes/rules computes a rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from accounts.formatting import local_number
from accounts.models import Organisation, User
from portfolios.models import Activity, Certification
from portfolios.rules_inputs import activity_inputs, certification_context
from schemes import rules
from schemes.models import SchemeVersion


def number(value: Decimal | int) -> str:
    """A number in the user's locale, without trailing zeros (1,5 in Dutch; 1.5 in English)."""
    return local_number(value)


def date(value: dt.date) -> str:
    return formats.date_format(value, "DATE_FORMAT", use_l10n=True)


def day_of(moment: dt.datetime) -> str:
    """The local day of a moment, in words (when something was submitted, decided, advised)."""
    return date(timezone.localtime(moment).date())


def say(message: rules.Message, definition: rules.SchemeDefinition | None) -> str:
    """An engine message as a sentence in the current language (`definition` names the codes it refers to;
    None for a message that refers to none, such as the rules of an activity's date)."""
    language = (translation.get_language() or "en").split("-")[0]
    return rules.render_message(message, definition, language, gettext, number=number, date=date)


def label(texts: Any, fallback: str = "") -> str:
    """A definition's label ({en, nl, nb} or a LocalText) in the current language."""
    language = (translation.get_language() or "en").split("-")[0]
    if isinstance(texts, dict):
        return texts.get(language) or texts.get("en") or fallback
    if texts is not None and hasattr(texts, "get"):
        return texts.get(language) or fallback
    return fallback


def held_certifications(organisation: Organisation, holder: User, on: dt.date | None = None
                        ) -> list[tuple[Certification, SchemeVersion]]:
    """The holder's certifications (not withdrawn, by number), each with its scheme's version in force on `on`
    (default today; the certification's own version when none is in force): two queries. The dashboard, the
    activity log and the dossier list show the same selection."""
    certifications = list(Certification.objects.for_organisation(organisation).filter(holder=holder)
                          .exclude(status=Certification.Status.WITHDRAWN).select_related("scheme_version")
                          .order_by("number"))
    if not certifications:
        return []
    versions = SchemeVersion.objects.for_organisation(organisation).in_force(
        on, codes={c.scheme_version.code for c in certifications})
    return [(c, versions.get(c.scheme_version.code, c.scheme_version)) for c in certifications]


CONTEXT_FIELDS = ("exam_passed_on", "recertification_date", "cycle_start", "designation")


def context_problem(certification: Certification, error: rules.ContextError) -> str:
    """Why a certification cannot be evaluated, for people, in the current language: the one wording of the
    engine's ContextError (whose own text is English, for developers), naming the certificate's field at
    fault."""
    values = {"number": certification.number}
    if error.field in CONTEXT_FIELDS:
        field = Certification._meta.get_field(error.field)
        values["field"] = str(getattr(field, "verbose_name", error.field))
        return gettext("Certificate %(number)s cannot be evaluated yet: “%(field)s” is missing or does not fit "
                       "its scheme. An administrator of your organisation can complete it.") % values
    return gettext("Certificate %(number)s cannot be evaluated yet: it lacks what its scheme needs to count "
                   "points. An administrator of your organisation can complete it.") % values


def owner_activities(organisation: Organisation, owner: User | int) -> list[rules.ActivityInput]:
    """All of one professional's activities in the organisation, as engine inputs (one query)."""
    owner_id = owner if isinstance(owner, int) else owner.pk
    return activity_inputs(Activity.objects.for_organisation(organisation).filter(owner_id=owner_id)).get(owner_id, [])


def known(definition: rules.SchemeDefinition, activities: Sequence[rules.ActivityInput]) -> list[rules.ActivityInput]:
    """The activities whose type the scheme knows: one log serves all of a person's certifications."""
    types = definition.activity_types
    return [activity for activity in activities if activity.type in types]


def evaluate_certification(certification: Certification, definition: rules.SchemeDefinition,
                           activities: Sequence[rules.ActivityInput], as_of: dt.date | None = None, *,
                           reference_date: dt.date | None = None, **context: Any) -> rules.Report:
    """The engine's report for one certification under `definition` (raises rules.ContextError when the
    certification lacks the date its scheme counts from). With `reference_date`, as a dossier judged on
    that date sees it (the engine's `judged_on`)."""
    as_of = as_of or timezone.localdate()
    candidate = certification_context(certification, as_of, **context)
    if reference_date is not None:
        candidate = rules.judged_on(definition, candidate, reference_date)
    return rules.evaluate(definition, candidate, known(definition, activities))


def earliest_activity_date(certifications: Iterable[tuple[Certification, rules.SchemeDefinition]],
                           on: dt.date) -> dt.date:
    """The earliest date an activity of a person holding these certifications can plausibly have: the most
    lenient of the engine's bounds (10 years before a certification's first CPD year, window or cycle, and
    never before 1 January 1970), since one activity log serves all of them."""
    return min((rules.earliest_activity_date(definition, certification_context(certification, on))
                for certification, definition in certifications), default=rules.EARLIEST_ACTIVITY_DATE)


def dossier_reference_date(certification: Certification, definition: rules.SchemeDefinition, kind: str,
                           today: dt.date) -> dt.date:
    """The date a dossier of `kind` started today is judged on (the engine's `reference_date`; raises
    rules.ContextError when the certification does not fit its scheme)."""
    return rules.reference_date(definition, certification_context(certification, today, dossier_kind=kind))


def due_date(certification: Certification, definition: rules.SchemeDefinition, report: rules.Report,
             today: dt.date) -> dt.date:
    """The one date a professional is told. The engine's `report.deadline` is the last day whose points count:
    for a window scheme (Noloc, CMI) the day before the recertification date, which is the date the
    certificate, the dossier and the reminders name, so that one is shown (with `deadline_rule`); for the
    other models the deadline is itself the due date (the CPD year's anniversary, the cycle year's end)."""
    if rules.due_on_reference_date(definition):
        try:
            return dossier_reference_date(certification, definition, "recertification", today)
        except rules.ContextError:
            pass
    return report.deadline


def deadline_rule(report: rules.Report, due: dt.date) -> str:
    """The rule behind the date, stated once."""
    if due != report.deadline:
        return gettext("Points dated up to and including %(last)s count; recertification on %(due)s.") % {
            "last": date(report.deadline), "due": date(due)}
    return gettext("Points dated up to and including %(due)s count, and are due by then.") % {"due": date(due)}
