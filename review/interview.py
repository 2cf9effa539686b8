"""The oral interview (CMI initial certification, `review.oral_interview_for` in the scheme's definition).

A coordinator schedules it — date, time, and a place or a video link — with a committee of an assessor and a
chair, both members of the organisation who assess or coordinate and without an automatic conflict with the
candidate (review/conflicts.py). The candidate is invited by e-mail in their language and sees the interview on
their dossier page; rescheduling invites again. Afterwards the chair records attendance, minutes and the
outcome. A case whose interview is required cannot send its advice until the interview has an outcome, and the
advice carries that outcome as a row of its own.

Only the committee, the coordinators and the candidate see an interview (the candidate: when and where, not
the minutes); anybody else gets 404. Every step is in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import form_add_errors
from accounts.mail import absolute_url
from accounts.models import Membership, User
from accounts.requests import OrgRequest
from accounts.services import audit_record
from accounts.tenancy import NotFound, member_required
from review import conflicts, services
from review.models import Interview, ReviewCase

AUDIT_ACTIONS = {
    "review.interview_schedule": (gettext_lazy("Interview scheduled"),
                                  gettext_lazy("Scheduled the oral interview of review case %(case)s")),
    "review.interview_reschedule": (gettext_lazy("Interview rescheduled"),
                                    gettext_lazy("Rescheduled the oral interview of review case %(case)s")),
    "review.interview_record": (gettext_lazy("Interview recorded"),
                                gettext_lazy("Recorded the oral interview of review case %(case)s")),
}

OUTCOME_CODE = "interview"


# --- Who and when --------------------------------------------------------------------------------------

def required(case: ReviewCase) -> bool:
    """Whether the scheme version asks an oral interview for this kind of dossier."""
    kinds = case.scheme_version.rules.review.oral_interview_for
    kind = (case.submission.snapshot.get("dossier") or {}).get("kind") or case.submission.dossier.kind
    return kind in kinds


def interview_of(case: ReviewCase) -> Interview | None:
    return Interview.objects.for_organisation(case.organisation_id).filter(case=case).first()


def committee_candidates(case: ReviewCase) -> list[User]:
    """Members who may sit on the committee: assessors and coordinators, never the candidate."""
    query = Membership.objects.for_organisation(case.organisation_id).select_related("user")
    people = [m.user for m in query if (m.is_assessor or services.is_coordinator(m)) and m.user_id != case.candidate_id]
    return sorted(people, key=lambda u: (u.last_name, u.first_name, u.pk))


def _committee_problems(case: ReviewCase, assessor: User | None, chair: User | None) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    eligible = {person.pk for person in committee_candidates(case)}
    found = services.conflicts_of_all(case, [p for p in (assessor, chair) if p is not None])
    for field, person in (("assessor", assessor), ("chair", chair)):
        if person is None:
            problems.setdefault(field, []).append(_("Choose a member of the organisation."))
        elif person.pk not in eligible:
            problems.setdefault(field, []).append(
                _("%(name)s is not an assessor or coordinator of this organisation.") % {"name": person})
        elif found.get(person.pk):
            problems.setdefault(field, []).append(
                _("%(name)s cannot sit on this committee: %(reasons)s.")
                % {"name": person, "reasons": ", ".join(str(conflicts.REASONS[c]) for c in found[person.pk])})
    if assessor is not None and chair is not None and assessor.pk == chair.pk:
        problems.setdefault("chair", []).append(_("The chair must be someone other than the assessor."))
    return problems


@transaction.atomic
def schedule(*, case: ReviewCase, by: User, starts_at: dt.datetime, duration_minutes: int, place: str,
             video_link: str, assessor: User | None, chair: User | None) -> Interview:
    """Schedule (or reschedule) the case's interview and invite the candidate and the committee.
    ValidationError per field: not required, in the past, no place or link, the committee."""
    case = ReviewCase.objects.for_organisation(case.organisation_id).select_for_update().select_related(
        "submission", "scheme_version", "organisation", "candidate").get(pk=case.pk)
    if not required(case):
        raise ValidationError(_("This case has no oral interview."), code="not_required")
    if not case.is_open or case.state == ReviewCase.State.HELD:
        raise ValidationError(_("The interview of a closed or held case cannot be scheduled."), code="state")
    current = Interview.objects.for_organisation(case.organisation_id).select_for_update().filter(case=case).first()
    if current is not None and current.outcome:
        raise ValidationError(_("The interview has an outcome; it cannot be rescheduled."), code="recorded")
    problems = _committee_problems(case, assessor, chair)
    if starts_at <= timezone.now():
        problems.setdefault("date", []).append(_("Choose a date and time that is still to come."))
    place, video_link = place.strip(), video_link.strip()
    if not place and not video_link:
        problems.setdefault("place", []).append(_("Give a place or a video link."))
    if not 15 <= duration_minutes <= 480:
        problems.setdefault("duration_minutes", []).append(_("Between 15 and 480 minutes."))
    if problems:
        raise ValidationError(problems)
    assert assessor is not None
    assert chair is not None
    now = timezone.now()
    values = {"starts_at": starts_at, "duration_minutes": duration_minutes, "place": place, "video_link": video_link,
              "assessor": assessor, "chair": chair, "scheduled_by": by, "scheduled_at": now,
              "attendance": "", "minutes": "", "outcome": "", "reasons": "", "recorded_by": None, "recorded_at": None}
    if current is None:
        interview = Interview.objects.create(organisation_id=case.organisation_id, case=case, **values)
        action = "review.interview_schedule"
    else:
        for name, value in values.items():
            setattr(current, name, value)
        current.sequence += 1
        current.save()
        interview, action = current, "review.interview_reschedule"
    audit_record(organisation=case.organisation, actor=by, action=action, case=case.pk, interview=interview.pk,
                 starts_at=starts_at.isoformat(), place=place, video_link=video_link, assessor=assessor.email,
                 chair=chair.email)
    rescheduled = action == "review.interview_reschedule"
    services._mail(case.candidate, case.organisation, "interview_invitation", case=case, interview=interview,
                   rescheduled=rescheduled, scheme=case.scheme_version.label, path=services._dossier_path(case),
                   calendar=absolute_url(calendar_path(case)))
    for person in (assessor, chair):
        services._mail(person, case.organisation, "interview_committee", case=case, interview=interview,
                       rescheduled=rescheduled, chairing=person.pk == chair.pk, path=page_path(case))
    return interview


@transaction.atomic
def record(*, interview: Interview, by: User, attendance: str, minutes: str, outcome: str,
           reasons: str) -> Interview:
    """The chair records what happened. Attended or did not attend: an outcome (negative with reasons);
    excused: no outcome (the coordinator reschedules)."""
    interview = (Interview.objects.for_organisation(interview.organisation_id).select_for_update()
                 .select_related("case", "case__organisation").get(pk=interview.pk))
    case = interview.case
    if by.pk != interview.chair_id:
        raise ValidationError(_("Only the chair records the interview."), code="not_chair")
    if interview.outcome or not case.is_open:
        raise ValidationError(_("The interview is already recorded."), code="recorded")
    problems: dict[str, list[str]] = {}
    minutes, reasons = minutes.strip(), reasons.strip()
    if interview.starts_at > timezone.now():
        problems.setdefault("attendance", []).append(_("The interview can be recorded once it has begun."))
    if attendance not in Interview.Attendance.values:
        problems.setdefault("attendance", []).append(_("Say whether the candidate attended."))
    if attendance == Interview.Attendance.EXCUSED:
        if outcome:
            problems.setdefault("outcome", []).append(
                _("An excused candidate has no outcome: the coordinator schedules the interview again."))
    elif attendance in Interview.Attendance.values:
        if outcome not in Interview.Outcome.values:
            problems.setdefault("outcome", []).append(_("Choose positive or negative."))
        if attendance == Interview.Attendance.ABSENT and outcome == Interview.Outcome.POSITIVE:
            problems.setdefault("outcome", []).append(
                _("A candidate who did not attend cannot have a positive outcome."))
        if outcome == Interview.Outcome.NEGATIVE and not reasons:
            problems.setdefault("reasons", []).append(_("Give the reasons for a negative outcome."))
    if attendance == Interview.Attendance.ATTENDED and not minutes:
        problems.setdefault("minutes", []).append(_("Write the minutes of the interview."))
    if problems:
        raise ValidationError(problems)
    interview.attendance, interview.minutes = attendance, minutes
    interview.outcome, interview.reasons = outcome, reasons
    interview.recorded_by, interview.recorded_at = by, timezone.now()
    interview.save(update_fields=["attendance", "minutes", "outcome", "reasons", "recorded_by", "recorded_at"])
    audit_record(organisation=case.organisation, actor=by, action="review.interview_record", case=case.pk,
                 interview=interview.pk, attendance=attendance)
    return interview


# --- The advice ------------------------------------------------------------------------------------------

def advice_row(case: ReviewCase) -> dict[str, Any] | None:
    """The interview as a row of the advice ({"code", "label", "judgement", "reasons"}), None when the case
    has no interview. `judgement` is empty while a required interview has no outcome."""
    if not required(case):
        return None
    interview = interview_of(case)
    if interview is None or not interview.outcome:
        return {"code": OUTCOME_CODE, "label": str(_("Oral interview")), "judgement": "", "reasons": []}
    judgement = "meets" if interview.outcome == Interview.Outcome.POSITIVE else "not_met"
    label = _("Oral interview (%(attendance)s): %(outcome)s") % {
        "attendance": interview.get_attendance_display(), "outcome": interview.get_outcome_display()}
    return {"code": OUTCOME_CODE, "label": str(label), "judgement": judgement,
            "reasons": [interview.reasons] if interview.reasons else []}


def advice_problem(row: dict[str, Any] | None, outcome: str) -> str:
    """Why the advice cannot be sent with this outcome because of the interview (empty: it can)."""
    if row is None:
        return ""
    if not row["judgement"]:
        return _("The oral interview has no outcome yet: the advice waits for it.")
    if outcome == "positive" and row["judgement"] != "meets":
        return _("A positive advice needs a positive interview.")
    return ""


# --- The candidate's dossier page ------------------------------------------------------------------------

def progress_step(case: ReviewCase | None) -> dict[str, Any] | None:
    """The interview as a step of the professional's progress (with when and where), if it is scheduled."""
    if case is None or case.state == ReviewCase.State.ACCEPTED_ON_RULES or not required(case):
        return None
    interview = interview_of(case)
    if interview is None:
        return {"code": "interview", "label": _("Oral interview"), "at": None}
    when = timezone.localtime(interview.starts_at)
    where = interview.place or _("by video")
    if interview.attendance == Interview.Attendance.EXCUSED:
        label = _("Oral interview (excused; it will be scheduled again)")
    else:
        label = _("Oral interview: %(time)s, %(where)s") % {
            "time": formats.time_format(when, "TIME_FORMAT"), "where": where}
    return {"code": "interview", "label": label, "at": interview.starts_at,
            "link": interview.video_link, "calendar": calendar_path(case)}


# --- Access ---------------------------------------------------------------------------------------------

def _not_found() -> NotFound:
    return NotFound(_("There is no interview at this address."))


def case_and_role(request: HttpRequest, pk: int) -> tuple[ReviewCase, Interview | None, str]:
    """The case (with an interview required), its interview and the asker's role: "coordinator", "chair",
    "assessor" (the committee's) or "candidate". 404 for anyone else."""
    case = (ReviewCase.objects.for_organisation(request.organisation)  # type: ignore[attr-defined]
            .select_related("submission", "submission__dossier", "scheme_version", "candidate", "organisation")
            .filter(pk=pk).first())
    if case is None or not required(case):
        raise _not_found()
    interview = interview_of(case)
    user = request.user
    if case.candidate_id == user.pk:
        return case, interview, "candidate"
    if interview is not None and interview.chair_id == user.pk:
        return case, interview, "chair"
    if interview is not None and interview.assessor_id == user.pk:
        return case, interview, "assessor"
    if services.is_coordinator(request.membership):  # type: ignore[attr-defined]
        return case, interview, "coordinator"
    raise _not_found()


# --- Forms ----------------------------------------------------------------------------------------------

class ScheduleForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    time = forms.TimeField(label=gettext_lazy("Time"), widget=forms.TimeInput(attrs={"type": "time"}))
    duration_minutes = forms.IntegerField(label=gettext_lazy("Duration (minutes)"), initial=60, min_value=15,
                                          max_value=480)
    place = forms.CharField(label=gettext_lazy("Place"), required=False, max_length=300,
                            help_text=gettext_lazy("An address or room; or give a video link."))
    video_link = forms.URLField(label=gettext_lazy("Video link"), required=False, max_length=500,
                                assume_scheme="https")
    assessor = forms.TypedChoiceField(label=gettext_lazy("Assessor"), coerce=int)
    chair = forms.TypedChoiceField(label=gettext_lazy("Chair"), coerce=int)

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((person.pk, person.get_full_name() or person.email) for person in people)]
        for name in ("assessor", "chair"):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date") and data.get("time"):
            moment = dt.datetime.combine(data["date"], data["time"])
            data["starts_at"] = timezone.make_aware(moment, timezone.get_current_timezone())
            if data["starts_at"] <= timezone.now():
                self.add_error("date", _("Choose a date and time that is still to come."))
        if not data.get("place", "").strip() and not data.get("video_link") and "video_link" not in self.errors:
            self.add_error("place", _("Give a place or a video link."))
        if data.get("assessor") and data.get("assessor") == data.get("chair"):
            self.add_error("chair", _("The chair must be someone other than the assessor."))
        return data


class RecordForm(forms.Form):
    attendance = forms.ChoiceField(label=gettext_lazy("Attendance"), choices=Interview.Attendance.choices,
                                   widget=forms.RadioSelect)
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), required=False,
                                choices=[("", gettext_lazy("No outcome (excused)")), *Interview.Outcome.choices],
                                widget=forms.RadioSelect)
    reasons = forms.CharField(label=gettext_lazy("Reasons"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=gettext_lazy("Required for a negative outcome."))


def _schedule_form(case: ReviewCase, interview: Interview | None, data: Any = None) -> ScheduleForm:
    initial: dict[str, Any] = {}
    if interview is not None:
        when = timezone.localtime(interview.starts_at)
        initial = {"date": when.date(), "time": when.time().replace(second=0, microsecond=0),
                   "duration_minutes": interview.duration_minutes, "place": interview.place,
                   "video_link": interview.video_link, "assessor": interview.assessor_id, "chair": interview.chair_id}
    return ScheduleForm(data, initial=initial, people=committee_candidates(case), prefix="schedule")


# --- Views ----------------------------------------------------------------------------------------------

def page_path(case: ReviewCase) -> str:
    return reverse("review_interview", kwargs={"org": case.organisation.slug, "pk": case.pk})


def calendar_path(case: ReviewCase) -> str:
    return reverse("review_interview_ics", kwargs={"org": case.organisation.slug, "pk": case.pk})


def _page(request: HttpRequest, case: ReviewCase, interview: Interview | None, role: str, *,
          schedule_form: ScheduleForm | None = None, record_form: RecordForm | None = None,
          status: int = 200) -> HttpResponse:
    if role == "coordinator" and schedule_form is None and not (interview and interview.outcome) and case.is_open:
        schedule_form = _schedule_form(case, interview)
    if role == "chair" and record_form is None and interview is not None and not interview.outcome:
        record_form = RecordForm(prefix="record", initial={"attendance": interview.attendance or None})
    return render(request, "review/interview_page.html", {
        "case": case, "interview": interview, "role": role, "schedule_form": schedule_form,
        "record_form": record_form, "may_record": interview is not None and interview.starts_at <= timezone.now(),
        "committee": role in ("coordinator", "chair", "assessor")}, status=status)


@require_GET
@member_required()
def interview_page(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    case, interview, role = case_and_role(request, pk)
    return _page(request, case, interview, role)


@require_POST
@member_required()
def interview_schedule(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    case, interview, role = case_and_role(request, pk)
    if role != "coordinator":
        raise _not_found()
    form = _schedule_form(case, interview, request.POST)
    if form.is_valid():
        people = {person.pk: person for person in committee_candidates(case)}
        data = form.cleaned_data
        try:
            scheduled = schedule(case=case, by=request.user, starts_at=data["starts_at"],  # type: ignore[arg-type]
                                 duration_minutes=data["duration_minutes"], place=data["place"],
                                 video_link=data["video_link"], assessor=people.get(data["assessor"]),
                                 chair=people.get(data["chair"]))
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("The interview is scheduled; the candidate and the committee are invited.")
                             if scheduled.sequence == 0 else
                             _("The interview is rescheduled; the candidate and the committee are told."))
            return redirect("review_interview", org=org, pk=case.pk)
    return _page(request, case, interview, role, schedule_form=form, status=422)


@require_POST
@member_required()
def interview_record(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    case, interview, role = case_and_role(request, pk)
    if role != "chair" or interview is None:
        raise _not_found()
    form = RecordForm(request.POST, prefix="record")
    if form.is_valid():
        try:
            record(interview=interview, by=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("The interview is recorded."))
            return redirect("review_interview", org=org, pk=case.pk)
    return _page(request, case, interview, role, record_form=form, status=422)


def _ics_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _ics_fold(line: str) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on the next line after a space."""
    data, parts = line.encode(), list[bytes]()
    while len(data) > 75:
        cut = 75 if not parts else 74
        while cut and (data[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        parts.append(data[:cut])
        data = data[cut:]
    parts.append(data)
    return "\r\n ".join(part.decode() for part in parts)


def calendar_file(interview: Interview, *, summary: str, host: str) -> str:
    """A minimal RFC 5545 calendar with the interview as one VEVENT (UTC times; SEQUENCE counts reschedules)."""
    def stamp(moment: dt.datetime) -> str:
        return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    ends = interview.starts_at + dt.timedelta(minutes=interview.duration_minutes)
    location = interview.place or interview.video_link
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//recert//review interview//EN", "METHOD:PUBLISH",
             "BEGIN:VEVENT", f"UID:interview-{interview.pk}@{host}", f"SEQUENCE:{interview.sequence}",
             f"DTSTAMP:{stamp(interview.scheduled_at)}", f"DTSTART:{stamp(interview.starts_at)}",
             f"DTEND:{stamp(ends)}", f"SUMMARY:{_ics_text(summary)}", f"LOCATION:{_ics_text(location)}"]
    if interview.video_link:
        lines.append(f"URL:{interview.video_link}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_ics_fold(line) for line in lines) + "\r\n"


@require_GET
@member_required()
def interview_ics(request: OrgRequest, org: str, pk: int) -> HttpResponse:
    case, interview, _role = case_and_role(request, pk)
    if interview is None:
        raise _not_found()
    summary = _("Oral interview: %(scheme)s") % {"scheme": case.scheme_version.label}
    body = calendar_file(interview, summary=summary, host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="interview.ics"'
    return response
