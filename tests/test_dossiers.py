"""Dossiers: starting one, the checklist from the engine, section editors with autosave, query counts.

Helpers here are shared with tests/test_statements.py and tests/test_submission.py.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent, hash_token
from accounts.tenancy import maintenance
from dossiers.models import Dossier, DossierSection, Evidence, StatementRequest
from dossiers.services import dossiers as services
from tests import factories

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
REFLECTION = {"situation": "A client stuck between two jobs.", "motivation": "It touched my own doubts.",
              "insights": "I listen longer before advising.", "conduct": "I will ask one more question."}
PLAN = {"present": "New labour market tools.", "past": "Moved to group coaching.", "future": "Train as supervisor."}
LOOKBACK = {"plan-intended": "Specialise.", "plan-carried-out": "Most of it.", "advice-received": "Read more.",
            "advice-followed": "Joined a reading group.", "plans-changed": "No."}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Evidence and PDFs go to a temporary directory, never the project's var/media."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None}}}


# --- helpers (shared) --------------------------------------------------------------------------------------

def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def noloc(org, holder, recertification_date=dt.date(2025, 12, 1), **fields):
    return factories.certification(org, holder, recertification_date=recertification_date, **fields)


def start(client, org, certification, kind="recertification") -> Dossier:
    response = client.post(url("dossier_start", org, certification=certification.pk), {"kind": kind})
    assert response.status_code == 302, response.content.decode()
    with maintenance():
        return (Dossier.objects.filter(organisation=org, owner=certification.holder)
                .select_related("certification", "scheme_version").latest("pk"))


def row(dossier, code) -> DossierSection:
    with maintenance():
        return DossierSection.objects.get(organisation=dossier.organisation, dossier=dossier, code=code)


def add_evidence(dossier, code, requirement, content=PDF_BYTES, name="cv.pdf") -> Evidence:
    section = row(dossier, code)
    with maintenance():
        evidence = Evidence(organisation=dossier.organisation, owner=dossier.owner, section=section,
                            requirement_code=requirement, original_name=name, content_type="application/pdf",
                            size=len(content), sha256=hashlib.sha256(content).hexdigest())
        evidence.file.save(name, ContentFile(content), save=False)
        evidence.save()
    return evidence


def signed_statement(dossier, section="A3.1", requirement="reflection-meeting", fields=None, **extra
                     ) -> StatementRequest:
    now = timezone.now()
    if fields is None:
        fields = {"meeting-date": "2025-03-01", "facilitator-name": "Fay", "situation-brought-in": True}
    with maintenance():
        return StatementRequest.objects.create(
            organisation=dossier.organisation, dossier=dossier, section_code=section, requirement_code=requirement,
            signer_name=extra.pop("signer_name", "Fay Facilitator"), signer_email=extra.pop("signer_email",
                                                                                             "fay@example.com"),
            token_hash=hash_token(secrets.token_urlsafe(16)), expires_at=now + dt.timedelta(days=14),
            status=StatementRequest.Status.SIGNED, fields=fields, signed_name="Fay Facilitator", signed_at=now,
            closed_at=now, **extra)


def pe_points(org, owner, day=dt.date(2025, 3, 10)) -> list:
    """80 counted Noloc PE points, 40 of them in category 1."""
    return [factories.activity(org, owner, "course", day, 40, title="Coaching course"),
            factories.activity(org, owner, "peer-meeting", day, 15, title="Intervision"),
            factories.activity(org, owner, "course-outside", day, 10, title="Excel course")]


def save_section(client, org, dossier, code, data, htmx=False):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(url("dossier_section", org, pk=dossier.pk, code=code), data, **headers)


def questions(requirement, answers, references=None) -> dict:
    data = {f"{requirement}__{code}": text for code, text in answers.items()}
    if references is not None:
        data[f"{requirement}__references"] = "\n".join(references)
    return data


def complete_noloc(client, org, dossier, *, meetings=2, a2=False):
    """Fill every section of a Noloc dossier (reference year 2025 unless a2: then A2 too)."""
    add_evidence(dossier, "A1", "cv")
    signed_statement(dossier, "A1", "working-as-jobcoach", {
        "jobcoach-name": "Alice", "organisation": "Acme", "role": "Jobcoach", "practising": True,
        "signed-on": "2025-10-01"}, signer_email="boss@example.com", signer_name="Bo Boss")
    for number in range(meetings):
        signed_statement(dossier, fields={"meeting-date": f"2025-0{number + 1}-15", "facilitator-name": "Fay",
                                          "situation-brought-in": number < 2})
    if a2:
        assert save_section(client, org, dossier, "A2", questions("accountability-report", LOOKBACK)).status_code == 302
    assert save_section(client, org, dossier, "A3.2", questions("reflection-report", REFLECTION,
                                                                ["Kerntaak 2: begeleiden"])).status_code == 302
    assert save_section(client, org, dossier, "A4", questions("development-plan", PLAN,
                                                              ["Competentie 5: reflecteren"])).status_code == 302
    assert save_section(client, org, dossier, "C", {"code-of-conduct__read-code": "on",
                                                    "code-of-conduct__work-by-code": "on",
                                                    "code-of-conduct__know-complaints": "on"}).status_code == 302


def checklist(dossier):
    with maintenance():
        fresh = Dossier.objects.select_related("certification", "scheme_version", "organisation").get(pk=dossier.pk)
        return services.dossier_checklist(fresh)


def section_state(dossier, code):
    return next(section for section in checklist(dossier).sections if section.code == code)


# --- starting ----------------------------------------------------------------------------------------------

def test_start_creates_a_draft_with_the_version_in_force_and_the_recertification_date(client, org_a, alice):
    certification = noloc(org_a, alice, dt.date(2027, 6, 1))
    client.force_login(alice)
    dossier = start(client, org_a, certification)
    assert dossier.status == "draft"
    assert dossier.kind == "recertification"
    assert dossier.reference_date == dt.date(2027, 6, 1)
    assert dossier.scheme_version == certification.scheme_version
    with maintenance():
        codes = set(DossierSection.objects.filter(organisation=org_a, dossier=dossier).values_list("code", flat=True))
        assert codes == {"A1", "A2", "A3.1", "A3.2", "A4", "B", "C"}
        assert AuditEvent.objects.filter(organisation=org_a, action="dossier.start").count() == 1
    # Starting again opens the same draft.
    again = start(client, org_a, certification)
    assert again.pk == dossier.pk


def test_start_takes_the_newest_version_in_force_today(client, org_a, alice):
    from schemes import rules
    from schemes.services import scheme_version_save

    certification = noloc(org_a, alice)
    with maintenance():
        data = rules.shipped_definitions()["noloc-register-jobcoach"]
        newer = scheme_version_save(organisation=org_a, data=data, effective_from=dt.date(2024, 1, 1), by=alice,
                                    source="edited")
        scheme_version_save(organisation=org_a, data=data, effective_from=dt.date(2099, 1, 1), by=alice,
                            source="edited")
    client.force_login(alice)
    assert start(client, org_a, certification).scheme_version == newer


def test_someone_elses_certificate_and_the_wrong_role_are_refused(client, org_a, alice, bob):
    certification = noloc(org_a, alice)
    bob_membership_professional = factories.member(org_a, "pro@example.com", "professional")
    client.force_login(bob_membership_professional)
    assert client.post(url("dossier_start", org_a, certification=certification.pk)).status_code == 404
    client.force_login(bob)  # an assessor only
    assert client.get(url("dossier_list", org_a)).status_code == 403


def test_dossier_of_another_professional_is_not_found(client, org_a, alice):
    dossier_owner = factories.member(org_a, "other@example.com", "professional")
    certification = noloc(org_a, dossier_owner)
    client.force_login(dossier_owner)
    dossier = start(client, org_a, certification)
    client.force_login(alice)
    for name, kwargs in (("dossier_detail", {"pk": dossier.pk}), ("dossier_submit", {"pk": dossier.pk}),
                         ("dossier_section", {"pk": dossier.pk, "code": "C"}), ("dossier_pdf", {"pk": dossier.pk})):
        assert client.get(url(name, org_a, **kwargs)).status_code == 404


def test_peoplecert_without_active_membership_cannot_start(client, org_a, alice):
    certification = factories.certification(org_a, alice, "peoplecert-cpd", membership_valid_until=dt.date(2025, 1, 1))
    client.force_login(alice)
    page = client.get(url("dossier_list", org_a)).content.decode()
    assert "lapsed on 1 January 2025" in page
    response = client.post(url("dossier_start", org_a, certification=certification.pk), follow=True)
    assert "lapsed on 1 January 2025" in response.content.decode()
    with maintenance():
        assert not Dossier.objects.filter(organisation=org_a).exists()


def test_peoplecert_dossier_is_per_cpd_year_and_product_series(client, org_a, alice):
    exam = dt.date(2023, 4, 30)
    first = factories.certification(org_a, alice, "peoplecert-cpd", number="ITIL-F", exam_passed_on=exam)
    second = factories.certification(org_a, alice, "peoplecert-cpd", number="ITIL-MP", exam_passed_on=exam)
    other_series = factories.certification(org_a, alice, "peoplecert-cpd", number="P2-F", product_series="prince2",
                                           exam_passed_on=dt.date(2023, 4, 30))
    client.force_login(alice)
    dossier = start(client, org_a, first)
    today = timezone.localdate()
    deadline = dt.date(today.year, 4, 30)
    if deadline < today:
        deadline = dt.date(today.year + 1, 4, 30)
    assert dossier.reference_date == deadline  # the current CPD year's anniversary
    assert dossier.product_series == "itil-4"
    assert start(client, org_a, second).pk == dossier.pk  # one submission per series
    assert start(client, org_a, other_series).pk != dossier.pk
    page = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()
    assert "ITIL-F" in page
    assert "ITIL-MP" in page
    assert "P2-F" not in page
    assert "CPD points for the CPD year" in page  # the points item of a scheme without a points section


# --- the checklist -----------------------------------------------------------------------------------------

def test_a2_is_exempt_for_2026_and_required_for_2027(client, org_a, alice):
    client.force_login(alice)
    in_2026 = start(client, org_a, noloc(org_a, alice, dt.date(2026, 6, 1), number="N-2026"))
    in_2027 = start(client, org_a, noloc(org_a, alice, dt.date(2027, 6, 1), number="N-2027"))
    a2 = section_state(in_2026, "A2")
    assert a2.state == services.EXEMPT
    assert not a2.required
    assert "Exempt for recertification dates from 1 January 2023 to 31 December 2026" in a2.reason
    page = client.get(url("dossier_detail", org_a, pk=in_2026.pk)).content.decode()
    assert "Exempt for this date" in page
    assert not any(item.startswith("A2 ") for item in checklist(in_2026).missing)
    a2 = section_state(in_2027, "A2")
    assert a2.state == services.EMPTY
    assert a2.required
    assert any(item.startswith("A2 ") for item in checklist(in_2027).missing)
    # A3.1's numbers follow the same date: 3 meetings in 2026, 4 from 2027.
    assert section_state(in_2026, "A3.1").requirements[0].counts[0].needed == 3
    assert section_state(in_2027, "A3.1").requirements[0].counts[0].needed == 4


def test_a31_counts_come_from_the_year_table_and_only_signed_statements_count(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1)))  # 2025: 2 meetings, 1 situation
    meetings, situations = section_state(dossier, "A3.1").requirements[0].counts
    assert (meetings.needed, situations.needed) == (2, 1)
    signed_statement(dossier, fields={"meeting-date": "2025-02-01", "facilitator-name": "Fay",
                                      "situation-brought-in": False})
    with maintenance():  # requested, declined and withdrawn statements do not count, whatever they say
        for status in ("requested", "declined", "withdrawn"):
            StatementRequest.objects.create(
                organisation=org_a, dossier=dossier, section_code="A3.1", requirement_code="reflection-meeting",
                signer_name="X", signer_email=f"{status}@example.com", token_hash=hash_token(status),
                expires_at=timezone.now() + dt.timedelta(days=3), status=status,
                fields={"situation-brought-in": True})
    state = section_state(dossier, "A3.1")
    assert state.state == services.DRAFT
    assert [(line.have, line.needed) for line in state.requirements[0].counts] == [(1, 2), (0, 1)]
    assert ("get 1 more signed statement: Statement of a reflection meeting attended (2 required, 1 signed so "
            "far).") in state.missing
    signed_statement(dossier, fields={"meeting-date": "2025-03-01", "facilitator-name": "Fay",
                                      "situation-brought-in": False})
    state = section_state(dossier, "A3.1")
    assert [(line.have, line.needed) for line in state.requirements[0].counts] == [(2, 2), (0, 1)]
    assert state.missing == ["1 more signed statement must confirm “The candidate brought in a meaningful "
                             "situation” (1 required, 0 so far)."]
    signed_statement(dossier, fields={"meeting-date": "2025-04-01", "facilitator-name": "Fay",
                                      "situation-brought-in": True})
    assert section_state(dossier, "A3.1").state == services.COMPLETE


def test_a32_must_refer_to_the_professional_profile(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    response = save_section(client, org_a, dossier, "A3.2", questions("reflection-report", REFLECTION, []))
    assert response.status_code == 302
    state = section_state(dossier, "A3.2")
    assert state.state == services.DRAFT
    assert state.missing == ["refer to at least 1 part of the professional profile (0 so far)."]
    save_section(client, org_a, dossier, "A3.2", questions("reflection-report", REFLECTION,
                                                           ["Kerntaak 1", " kerntaak 1 ", ""]))
    assert row(dossier, "A3.2").data["requirements"]["reflection-report"]["references"] == ["Kerntaak 1"]
    assert section_state(dossier, "A3.2").state == services.COMPLETE
    # An unanswered question makes it a draft again.
    save_section(client, org_a, dossier, "A3.2", questions("reflection-report", {**REFLECTION, "insights": "  "},
                                                           ["Kerntaak 1"]))
    assert section_state(dossier, "A3.2").missing == [
        "1 of 4 questions of “Reflection report” still unanswered."]


def test_declarations_are_timestamped_when_ticked(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    before = timezone.now()
    save_section(client, org_a, dossier, "C", {"code-of-conduct__read-code": "on"})
    ticked = row(dossier, "C").data["requirements"]["code-of-conduct"]["ticked"]
    assert list(ticked) == ["read-code"]
    first = dt.datetime.fromisoformat(ticked["read-code"])
    assert before <= first <= timezone.now()
    assert section_state(dossier, "C").state == services.DRAFT
    save_section(client, org_a, dossier, "C", {"code-of-conduct__read-code": "on",
                                               "code-of-conduct__work-by-code": "on",
                                               "code-of-conduct__know-complaints": "on"})
    ticked = row(dossier, "C").data["requirements"]["code-of-conduct"]["ticked"]
    assert ticked["read-code"] == first.isoformat()  # the first tick keeps its moment
    assert set(ticked) == {"read-code", "work-by-code", "know-complaints"}
    assert section_state(dossier, "C").state == services.COMPLETE
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="C")).content.decode()
    assert "Ticked on" in page
    save_section(client, org_a, dossier, "C", {"code-of-conduct__work-by-code": "on"})
    assert set(row(dossier, "C").data["requirements"]["code-of-conduct"]["ticked"]) == {"work-by-code"}


def test_text_answers_autosave_through_htmx(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A4")).content.decode()
    assert 'hx-post="' in page
    assert 'hx-trigger="input changed delay:1s, change"' in page
    assert 'id="autosave-status"' in page
    assert 'aria-live="polite"' in page
    response = save_section(client, org_a, dossier, "A4", questions("development-plan", {"present": "Half a thought"}),
                            htmx=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Saved at " in body
    assert 'id="autosave-status"' in body
    assert "<html" not in body
    assert 'id="section-missing" data-hx-swap-oob="true"' in body  # the checklist under it is refreshed too
    saved = row(dossier, "A4").data["requirements"]["development-plan"]["answers"]
    assert saved["present"] == "Half a thought"
    # Without JavaScript a plain POST saves and comes back to the editor, with the text kept.
    response = save_section(client, org_a, dossier, "A4", questions("development-plan", PLAN, ["Kerntaak 3"]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "has been saved" in page
    assert "Train as supervisor." in page
    assert "Kerntaak 3" in page


def test_invalid_choice_is_refused_and_keeps_what_was_typed(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, factories.certification(org_a, alice, "cmi-register-loopbaanprofessional"))
    response = save_section(client, org_a, dossier, "level", {"level": "Z"})
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert row(dossier, "level").data == {}


def test_cmi_competence_questions_only_at_a_changed_level(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, factories.certification(org_a, alice, "cmi-register-loopbaanprofessional"))
    assert section_state(dossier, "competence").state == services.NOT_REQUIRED
    save_section(client, org_a, dossier, "level-change", {"level-change": "changed"})
    assert section_state(dossier, "competence").state == services.EMPTY
    save_section(client, org_a, dossier, "scope", {"scope": ["career-guidance", "outplacement"]})
    assert section_state(dossier, "scope").state == services.COMPLETE
    assert {s.code for s in checklist(dossier).sections} == {"scope", "level", "level-change", "competence",
                                                            "supervisor-statement"}


def test_cmi_initial_dossier_has_the_eligibility_section(client, org_a, alice):
    client.force_login(alice)
    certification = factories.certification(org_a, alice, "cmi-register-loopbaanprofessional")
    page = client.get(url("dossier_list", org_a)).content.decode()
    assert "Start an initial certification dossier" in page
    dossier = start(client, org_a, certification, kind="initial")
    assert dossier.kind == "initial"
    assert dossier.reference_date == timezone.localdate()
    codes = [s.code for s in checklist(dossier).sections]
    assert "eligibility" in codes
    assert "supervisor-statement" not in codes
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code="eligibility")).content.decode()
    assert "Eligibility route" in page
    assert "data-evidence-upload" in page


def test_every_section_editor_renders(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    pe_points(org_a, alice)
    for code in ("A1", "A2", "A3.1", "A3.2", "A4", "B", "C"):
        response = client.get(url("dossier_section", org_a, pk=dossier.pk, code=code))
        assert response.status_code == 200, code
    b = client.get(url("dossier_section", org_a, pk=dossier.pk, code="B")).content.decode()
    assert "80 of 75" in b
    assert "Requirements met" in b
    a1 = client.get(url("dossier_section", org_a, pk=dossier.pk, code="A1")).content.decode()
    assert "Ask someone to sign" in a1
    assert "Employer or principal" in a1
    assert "Curriculum vitae" in a1
    assert client.get(url("dossier_section", org_a, pk=dossier.pk, code="Z9")).status_code == 404


def test_cv_uploaded_through_the_evidence_endpoint_completes_the_document(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    section = row(dossier, "A1")
    response = client.post(reverse("evidence_upload", kwargs={"org": org_a.slug}), {
        "section": section.pk, "requirement": "cv", "next": url("dossier_section", org_a, pk=dossier.pk, code="A1"),
        "file": ContentFile(PDF_BYTES, name="my-cv.pdf")})
    assert response.status_code == 302
    requirement = section_state(dossier, "A1").requirements[0]
    assert requirement.complete
    assert requirement.evidence[0].original_name == "my-cv.pdf"


def test_points_section_uses_the_engine_report(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice, dt.date(2027, 6, 1)))
    factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 20)
    state = section_state(dossier, "B")
    assert state.state == services.DRAFT
    assert state.missing == ["Add 10 more Further training within the field points by 31 May 2027: the "
                             "recertification period needs at least 30.",
                             "Add 55 more points that count by 31 May 2027: the recertification period "
                             "needs 75 and has 20."]
    factories.activity(org_a, alice, "course", dt.date(2023, 1, 1), 60)  # before the window: does not count
    assert section_state(dossier, "B").state == services.DRAFT
    # The window follows the dossier's date: for 1 December 2025 both courses fall inside it.
    earlier = start(client, org_a, noloc(org_a, alice, dt.date(2025, 12, 1), number="N-2025"))
    assert section_state(earlier, "B").state == services.COMPLETE


def test_complete_dossier_shows_the_submit_button(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    page = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()
    assert "You can submit when the checklist is complete" in page
    assert "disabled" in page
    pe_points(org_a, alice)
    complete_noloc(client, org_a, dossier)
    assert checklist(dossier).missing == []
    page = client.get(url("dossier_detail", org_a, pk=dossier.pk)).content.decode()
    assert "Review and submit" in page


def test_ccmg_gets_a_cycle_points_item(client, org_a, alice):
    client.force_login(alice)
    dossier = start(client, org_a, factories.certification(org_a, alice, "ccmg-cpd",
                                                           membership_valid_until=dt.date(2030, 1, 1)))
    assert dossier.reference_date == dt.date(2027, 12, 31)  # the cycle's last day
    codes = [s.code for s in checklist(dossier).sections]
    assert codes == ["code-of-conduct", services.POINTS_SECTION]
    page = client.get(url("dossier_section", org_a, pk=dossier.pk, code=services.POINTS_SECTION)).content.decode()
    assert "CPD points for the CPD cycle" in page


# --- lists and query counts ---------------------------------------------------------------------------------

def test_dossier_list_filters_and_paginates(client, org_a, alice):
    certification = noloc(org_a, alice)
    with maintenance():
        for day in range(30):  # more than a page (settings.PAGE_SIZE)
            Dossier.objects.create(organisation=org_a, owner=alice, certification=certification,
                                   scheme_version=certification.scheme_version,
                                   reference_date=dt.date(2030, 1, 1) + dt.timedelta(days=day),
                                   status="submitted" if day == 0 else "draft")
    client.force_login(alice)
    page = client.get(url("dossier_list", org_a)).content.decode()
    assert "30 dossiers" in page
    assert "Page 1 of 2" in page
    page = client.get(url("dossier_list", org_a), {"status": "submitted"}).content.decode()
    assert "1 dossier" in page
    partial = client.get(url("dossier_list", org_a), {"status": "draft"}, HTTP_HX_REQUEST="true").content.decode()
    assert "29 dossiers" in partial
    assert "<html" not in partial


def _dossier_list_queries(client, org, count, django_assert_max_num_queries, queries):
    client.get(url("dossier_list", org))
    with django_assert_max_num_queries(queries) as captured:
        assert client.get(url("dossier_list", org)).status_code == 200
    return len(captured.captured_queries)


def test_dossier_list_queries_do_not_grow(client, org_a, alice, django_assert_max_num_queries):
    certification = noloc(org_a, alice)
    client.force_login(alice)

    def add(n):
        with maintenance():
            for _ in range(n):
                Dossier.objects.create(organisation=org_a, owner=alice, certification=certification,
                                       scheme_version=certification.scheme_version,
                                       reference_date=dt.date(2030, 1, 1) + dt.timedelta(
                                           days=Dossier.objects.filter(organisation=org_a).count()))

    add(1)
    one = _dossier_list_queries(client, org_a, 1, django_assert_max_num_queries, 30)
    add(19)
    many = _dossier_list_queries(client, org_a, 20, django_assert_max_num_queries, one)
    assert many == one


def test_dossier_page_queries_do_not_grow_with_activities_or_statements(client, org_a, alice,
                                                                         django_assert_max_num_queries):
    client.force_login(alice)
    dossier = start(client, org_a, noloc(org_a, alice))
    add_evidence(dossier, "A1", "cv")
    factories.activity(org_a, alice, "course", dt.date(2025, 1, 5), 3)
    signed_statement(dossier)
    detail = url("dossier_detail", org_a, pk=dossier.pk)
    section = url("dossier_section", org_a, pk=dossier.pk, code="A3.1")
    client.get(detail)
    with django_assert_max_num_queries(40) as first:
        assert client.get(detail).status_code == 200
    with django_assert_max_num_queries(40) as first_section:
        assert client.get(section).status_code == 200
    for number in range(30):
        factories.activity(org_a, alice, "workshop", dt.date(2025, 1, 6) + dt.timedelta(days=number), 2)
        signed_statement(dossier, signer_email=f"s{number}@example.com")
        add_evidence(dossier, "A1", "cv", name=f"cv-{number}.pdf")
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(detail).status_code == 200
    with django_assert_max_num_queries(len(first_section.captured_queries)):
        assert client.get(section).status_code == 200
