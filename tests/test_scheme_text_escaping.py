"""Scheme text is data an administrator (or an imported file) controls: it must never become markup.

Every label, description, help, signer and other free text of all four shipped definitions is replaced by an
HTML/JS payload (codes stay, so the definitions still validate), the poisoned versions are adopted, and a
professional's whole portfolio is built on them. Then every page, partial, PDF and e-mail that shows scheme
text is rendered, and each must show the payload escaped — never as markup.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.tenancy import maintenance
from dossiers.models import Dossier, StatementRequest, Submission
from dossiers.services import dossiers as dossier_services
from dossiers.tasks import pdf_context
from notifications import reminders
from notifications.models import Reminder
from portfolios.models import Activity
from schemes import editor, rules
from schemes.models import SchemeVersion
from schemes.rules import fields as kinds
from schemes.rules.definition import Note, SchemeDefinition
from schemes.services import definition_validate, scheme_version_save
from tests import factories
from tests.test_csp import INLINE
from tests.test_dossiers import PDF_BYTES, _media, complete_noloc, pe_points  # noqa: F401 - fixture
from tests.text import first_match

pytestmark = pytest.mark.django_db

PAYLOAD = "<img src=x onerror=alert(1)>\"'><script>alert(2)</script>"
# What must never reach an HTML document: the payload's markup, unescaped.
RAW = ("<img src=x", "<script>alert")
# What must reach it (proof that scheme text was rendered at all): the payload, escaped. Neither fragment holds
# a quote, so they are also found where the text sits inside JSON in a <textarea> (the JSON editor).
ESCAPED = ("&lt;img src=x onerror=alert(1)&gt;", "&lt;script&gt;alert(2)&lt;/script&gt;")
LANGUAGES = ("en", "nl", "nb")
CODES = ("noloc-register-jobcoach", "peoplecert-cpd", "cmi-register-loopbaanprofessional", "ccmg-cpd")


# --- the poisoned definitions ---------------------------------------------------------------------------------

def text_at(path: str) -> str:
    """The poisoned text at a definition path: the payload, then the path, so a page can be shown to carry a
    particular text (the signer's, say) and not only some text."""
    return f"{PAYLOAD} {path}"


def _is_free_text(kind: kinds.Kind) -> bool:
    return isinstance(kind, kinds.Text) or (type(kind) is kinds.Str and kind.pattern is None)


def _poison(kind: kinds.Kind, value: Any, path: str, filled: dict[str, tuple[dict, str]]) -> Any:
    """`value` (the JSON of `kind`) with every localised and free text replaced by the payload."""
    if isinstance(kind, kinds.Nullable):
        return None if value is None else _poison(kind.inner, value, path, filled)
    if isinstance(kind, kinds.Text):
        return {language: text_at(path) for language in LANGUAGES}
    if _is_free_text(kind):
        return text_at(path)
    if isinstance(kind, kinds.Obj):
        return _poison_object(kind.cls, value, path, filled)
    if isinstance(kind, kinds.MapOf):
        return {name: _poison_object(kind.cls, item, kinds.join(path, name), filled) for name, item in value.items()}
    if isinstance(kind, kinds.OneOf):
        return {"kind": value["kind"], **_poison_object(kind.classes[value["kind"]], value, path, filled)}
    if isinstance(kind, kinds.ListOf):
        return [_poison(kind.inner, item, kinds.join(path, index), filled) for index, item in enumerate(value)]
    return value


def _poison_object(cls: type, value: dict[str, Any], path: str, filled: dict[str, tuple[dict, str]]
                   ) -> dict[str, Any]:
    result = dict(value)
    for name, kind, _required in kinds.json_fields(cls):
        where = kinds.join(path, name)
        if cls is Note and name == "path":  # a note's path must keep pointing at its part of the definition
            continue
        if name in value:
            result[name] = _poison(kind, value[name], where, filled)
        elif isinstance(kind, kinds.Nullable) and _is_free_text(kind.inner):
            # Optional texts the shipped file leaves out are filled in too (where the format allows them).
            result[name] = _poison(kind.inner, "", where, filled)
            filled[where] = (result, name)
    return result


def poisoned(code: str) -> dict[str, Any]:
    filled: dict[str, tuple[dict, str]] = {}
    document = _poison_object(SchemeDefinition, rules.shipped_definitions()[code], "", filled)
    try:
        definition_validate(document)
    except ValidationError as error:
        # A text the format allows but this scheme's model refuses (a period label on a window cycle): leave
        # it out again. Anything else would be a real problem with the walk.
        refused = set(error.message_dict)
        if not refused <= set(filled):
            raise
        for where in refused:
            parent, name = filled[where]
            del parent[name]
    definition_validate(document)  # codes stayed: it is still a valid definition
    return document


def test_the_poisoned_definitions_leave_no_text_unpoisoned():
    """The walk above really reaches every text: nothing of the shipped wording is left."""
    for code in CODES:
        shipped = json.dumps(rules.shipped_definitions()[code], ensure_ascii=False)
        document = poisoned(code)
        dumped = json.dumps(document, ensure_ascii=False)
        label = rules.shipped_definitions()[code]["label"]["en"]
        assert label in shipped
        assert label not in dumped
        signers = [requirement["signer"] for section in document.get("sections", [])
                   for requirement in section["requirements"] if requirement["kind"] == "statement"]
        assert all(set(signer.values()) == {text_at(signer_path)} for signer, signer_path in zip(
            signers, _signer_paths(document), strict=True))

        def texts(node: Any) -> list[str]:
            if isinstance(node, dict):
                if node and set(node) <= set(LANGUAGES):
                    return list(node.values())
                return [text for item in node.values() for text in texts(item)]
            if isinstance(node, list):
                return [text for item in node for text in texts(item)]
            return []

        assert texts(document)
        assert all(text.startswith(PAYLOAD) for text in texts(document))


def _signer_paths(document: dict[str, Any]) -> list[str]:
    return [f"sections[{s}].requirements[{r}].signer" for s, section in enumerate(document.get("sections", []))
            for r, requirement in enumerate(section["requirements"]) if requirement["kind"] == "statement"]


# --- checking what was rendered -------------------------------------------------------------------------------

class Pages:
    """Collects every problem, so one run names every page that leaks rather than only the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.checked: list[str] = []

    def html(self, where: str, html: str, *, shows: tuple[str, ...] = (), text: bool = True) -> None:
        """`text`: the page shows scheme text (False for the few checked only for leaks, such as a partial
        listing file names)."""
        self.checked.append(where)
        for marker in RAW:
            for found in re.finditer(re.escape(marker), html):
                self.problems.append(f"{where}: unescaped {html[found.start():found.start() + 70]!r}")
        for marker in ESCAPED if text else ():
            if marker not in html:
                self.problems.append(f"{where}: the escaped scheme text {marker!r} is not on the page")
        for path in shows:
            if escape(text_at(path)) not in html:
                self.problems.append(f"{where}: the text of {path} is not shown (escaped)")

    def response(self, where: str, response: Any, *, status: int = 200, shows: tuple[str, ...] = (),
                 text: bool = True) -> str:
        body = response.content.decode()
        if response.status_code != status:
            self.problems.append(f"{where}: status {response.status_code}, expected {status}")
        if not response["Content-Type"].startswith("text/html"):
            self.problems.append(f"{where}: {response['Content-Type']} is not HTML")
        self.html(where, body, shows=shows, text=text)
        # A page a browser shows also stays inside the Content-Security-Policy (tests/test_csp.py).
        for pattern, what in INLINE[:3]:  # style attributes, <style>, inline <script>
            if pattern.search(body):
                self.problems.append(f"{where}: {what}, which the Content-Security-Policy refuses")
        return body

    def get(self, client: Any, where: str, path: str, *, status: int = 200, htmx: bool = False,
            shows: tuple[str, ...] = (), text: bool = True) -> str:
        response = client.get(path, headers={"HX-Request": "true"} if htmx else {})
        return self.response(where, response, status=status, shows=shows, text=text)

    def post(self, client: Any, where: str, path: str, data: dict[str, Any], *, status: int = 200,
             htmx: bool = False, shows: tuple[str, ...] = (), text: bool = True) -> str:
        response = client.post(path, data, headers={"HX-Request": "true"} if htmx else {})
        return self.response(where, response, status=status, shows=shows, text=text)

    def mail(self, where: str, message: Any, *, shows_text: bool = True) -> None:
        """A text/plain body is never interpreted as HTML, so scheme text belongs in it as it is (escaping it
        would show "&lt;" to the reader). What must not exist is an HTML part carrying it unescaped."""
        self.checked.append(where)
        if shows_text and PAYLOAD not in message.body:
            self.problems.append(f"{where}: the scheme text is not in the plain-text body")
        for part, text in (("subject", message.subject), ("body", message.body)):
            if entity := re.search(r"&(?:lt|gt|quot|amp|#x27|#39);", text):  # "&lt;" would be shown as it is
                self.problems.append(f"{where}: HTML-escaped text {entity.group(0)!r} in the plain-text {part}")
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                self.html(f"{where} (HTML part)", content)

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def url(name: str, org: Any, **kwargs: Any) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def section_paths(definition: dict[str, Any], code: str, requirement_code: str = "") -> tuple[str, ...]:
    for s, section in enumerate(definition["sections"]):
        if section["code"] == code:
            if not requirement_code:
                return (f"sections[{s}].label",)
            for r, requirement in enumerate(section["requirements"]):
                if requirement["code"] == requirement_code:
                    return (f"sections[{s}].requirements[{r}].label", f"sections[{s}].requirements[{r}].signer")
    raise AssertionError(f"no section {code} {requirement_code}")


# --- the walk -----------------------------------------------------------------------------------------------

@pytest.fixture
def poisoned_org(org_a, ada, alice):
    """Org A runs all four schemes in their poisoned versions; Alice holds a certificate under each."""
    with maintenance():
        for code in CODES:
            scheme_version_save(organisation=org_a, data=poisoned(code), effective_from=dt.date(2020, 1, 1), by=ada,
                                source=SchemeVersion.Source.IMPORTED)
        certifications = {
            "noloc-register-jobcoach": factories.certification(org_a, alice, recertification_date=dt.date(2025, 12, 1),
                                                               number="NL-1"),
            **{code: factories.certification(org_a, alice, code, number=f"C-{index}",
                                             membership_valid_until=dt.date(2030, 1, 1))
               for index, code in enumerate(CODES[1:])},
        }
    return certifications


def test_every_page_shows_poisoned_scheme_text_escaped(client, org_a, ada, alice, poisoned_org, mailoutbox,
                                                       django_capture_on_commit_callbacks, tmp_path):
    pages = Pages()
    noloc_definition = poisoned("noloc-register-jobcoach")
    certification = poisoned_org["noloc-register-jobcoach"]
    with maintenance():
        activities = pe_points(org_a, alice)
        factories.activity(org_a, alice, "mentoring", dt.date(2026, 6, 1), 6)  # PeopleCert
        factories.activity(org_a, alice, "article", dt.date(2025, 3, 1), 1, attributes={"words": 1400})
    client.force_login(alice)

    # The dashboard: cards, bars, periods, explanations, what is missing.
    pages.get(client, "dashboard", url("org_home", org_a), shows=("label", "categories[0].label"))
    pages.get(client, "my certifications", url("my_certifications", org_a))

    # Activities: the form (type select grouped by category, fields, evidence rules), its type refresh, the
    # live preview, the list (filters, totals) with its htmx partial, an activity's page with its evidence.
    pages.get(client, "activity form", url("activity_create", org_a), shows=("activity_types.course.label",))
    pages.get(client, "activity form with a type", url("activity_create", org_a) + "?type_code=course")
    form = {"type_code": "course", "quantity": "8", "date": "2025-03-01", "title": "A course", "provider": "",
            "description": "", "reflection": ""}
    pages.post(client, "activity form refresh", url("activity_create", org_a), {**form, "action": "refresh"},
               htmx=True)
    pages.post(client, "activity preview", url("activity_preview", org_a), form, htmx=True)
    pages.post(client, "activity preview (cap)", url("activity_preview", org_a),
               {**form, "type_code": "volunteering", "quantity": "30"}, htmx=True)
    pages.post(client, "activity preview (problem)", url("activity_preview", org_a),
               {**form, "type_code": "article", "quantity": "1", "attr_words": "1400"}, htmx=True)
    pages.post(client, "activity form errors", url("activity_create", org_a), {**form, "quantity": ""}, status=422)
    pages.get(client, "activity list", url("activity_list", org_a))
    pages.get(client, "activity list (htmx)", url("activity_list", org_a) + "?q=course", htmx=True)
    course = activities[0]
    upload = SimpleUploadedFile("proof.pdf", PDF_BYTES, content_type="application/pdf")
    pages.post(client, "evidence upload (htmx)", url("evidence_upload", org_a),
               {"activity": course.pk, "file": upload, "next": url("activity_edit", org_a, pk=course.pk)},
               htmx=True, text=False)
    pages.get(client, "activity page", url("activity_edit", org_a, pk=course.pk))
    pages.get(client, "activity duplicate", url("activity_duplicate", org_a, pk=course.pk))
    pages.get(client, "activity delete", url("activity_delete", org_a, pk=course.pk), text=False)

    # Dossiers: the list, then a dossier per scheme and every section of each (with an autosave).
    pages.get(client, "dossier list", url("dossier_list", org_a))
    dossiers = {}
    for code, held in poisoned_org.items():
        response = client.post(url("dossier_start", org_a, certification=held.pk), {"kind": "recertification"},
                               follow=True)
        assert response.status_code == 200, (code, response.content.decode())
        assert not [m for m in response.context["messages"] if m.level_tag == "error"], (
            code, [str(m) for m in response.context["messages"]])
        with maintenance():
            dossiers[code] = Dossier.objects.filter(organisation=org_a, certification=held).get()
    noloc = dossiers["noloc-register-jobcoach"]
    pages.get(client, "dossier list (htmx)", url("dossier_list", org_a) + "?status=draft", htmx=True)
    for code, dossier in dossiers.items():
        pages.get(client, f"{code} dossier", url("dossier_detail", org_a, pk=dossier.pk))
        pages.get(client, f"{code} submit page", url("dossier_submit", org_a, pk=dossier.pk))
        with maintenance():
            sections = [section.code for section in dossier_services.dossier_checklist(dossier).sections]
        assert sections
        for section in sections:
            pages.get(client, f"{code} section {section}", url("dossier_section", org_a, pk=dossier.pk, code=section))
    a32 = url("dossier_section", org_a, pk=noloc.pk, code="A3.2")
    pages.post(client, "section autosave (htmx)", a32, {"reflection-report__situation": "Typed."}, htmx=True)

    # Statements: the request page of every statement requirement (the signer's help text), a request sent.
    for s, section in enumerate(noloc_definition["sections"]):
        for r, requirement in enumerate(section["requirements"]):
            if requirement["kind"] == "statement":
                query = f"?section={section['code']}&requirement={requirement['code']}"
                pages.get(client, f"statement request {section['code']}/{requirement['code']}",
                          url("statement_request", org_a, pk=noloc.pk) + query,
                          shows=(f"sections[{s}].requirements[{r}].signer",
                                 f"sections[{s}].requirements[{r}].label"))
    a31 = "?section=A3.1&requirement=reflection-meeting"
    pages.post(client, "statement request errors", url("statement_request", org_a, pk=noloc.pk) + a31,
               {"signer_name": "", "signer_email": "nope"}, status=422,
               shows=section_paths(noloc_definition, "A3.1", "reflection-meeting"))
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("statement_request", org_a, pk=noloc.pk) + a31, {
            "signer_name": "Fay Facilitator", "signer_email": "fay@example.com", "signer_role": "Facilitator",
            "message": "Please."})
    assert response.status_code == 302, response.content.decode()
    assert len(mailoutbox) == 1
    pages.mail("statement request e-mail", mailoutbox[0])
    link = first_match(r"https?://\S+/sign/\S+/", mailoutbox[0].body)
    sign_path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    with maintenance():
        statement = StatementRequest.objects.filter(organisation=org_a, dossier=noloc).latest("pk")
    pages.get(client, "section with a statement", url("dossier_section", org_a, pk=noloc.pk, code="A3.1"))
    pages.get(client, "statement withdraw", url("statement_withdraw", org_a, pk=statement.pk))

    # The public signing page, its errors, and the owner's notice after signing.
    signer = client.__class__()
    pages.get(signer, "signing page", sign_path,
              shows=section_paths(noloc_definition, "A3.1", "reflection-meeting")[:1])
    pages.post(signer, "signing page errors", sign_path, {"action": "sign", "signed_name": ""}, status=422)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        pages.post(signer, "signed", sign_path, {
            "action": "sign", "field_meeting-date": "2025-03-01", "field_facilitator-name": "Fay",
            "field_situation-brought-in": "on", "signed_name": "Fay Facilitator", "confirm": "on"}, text=False)
    pages.mail("statement signed e-mail", mailoutbox[-1])
    pages.get(signer, "used signing link", sign_path, status=410)

    # Reminders: a scan three months before the recertification date sends one, in both parts.
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reminders.reminder_scan(today=dt.date(2025, 9, 1))
    sent = [message for message in mailoutbox if "alice@example.com" in message.to]
    assert sent, "no reminder was sent"
    for number, message in enumerate(sent):
        pages.mail(f"reminder e-mail {number}", message)
        unsubscribe = re.search(r"https?://\S+/reminders/unsubscribe/\S+/", message.body)
        if unsubscribe:
            path = "/" + unsubscribe.group(0).split("://", 1)[1].split("/", 1)[1]
            pages.get(client.__class__(), f"unsubscribe page {number}", path)
    with maintenance():
        assert Reminder.objects.filter(organisation=org_a).exists()

    # Submission: the confirmation e-mail, the submitted dossier, and the PDF's HTML (WeasyPrint prints that).
    complete_noloc(client, org_a, noloc)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("dossier_submit", org_a, pk=noloc.pk))
    assert response.status_code == 302, response.content.decode()
    pages.mail("submission confirmation e-mail", next(m for m in mailoutbox if "alice@example.com" in m.to))
    pages.get(client, "submitted dossier", url("dossier_detail", org_a, pk=noloc.pk))
    pages.get(client, "submitted section", url("dossier_section", org_a, pk=noloc.pk, code="A3.1"))
    with maintenance():
        submission = Submission.objects.get(organisation=org_a, dossier=noloc)
    with translation.override("en"):
        pdf_html = render_to_string("dossiers/pdf/dossier.html", {**pdf_context(submission.snapshot),
                                                                    "stylesheet": "pdf.css"})
    pages.html("dossier PDF (HTML)", pdf_html, shows=section_paths(noloc_definition, "A3.1"))
    assert submission.pdf, "the PDF was rendered from that HTML"
    if shutil.which("pdftotext"):  # and in the PDF the payload is what it should be: text, printed as it is
        source = tmp_path / "dossier.pdf"
        source.write_bytes(submission.pdf.open("rb").read())
        printed = subprocess.run(["pdftotext", str(source), "-"], check=True, capture_output=True, text=True).stdout
        assert "<script>alert(2)</script>" in printed

    # Administrators: schemes (list, detail with notes, form editor and its preview, JSON editor and its
    # preview with the diff, import with the diff), certifications, compliance, imports, the reminder log.
    client.force_login(ada)
    pages.get(client, "scheme list", url("scheme_list", org_a))
    for code in CODES:
        pages.get(client, f"{code} scheme page", url("scheme_detail", org_a, code=code), shows=("label",))
        pages.get(client, f"{code} form editor", url("scheme_edit", org_a, code=code))
        pages.get(client, f"{code} JSON editor", url("scheme_edit_json", org_a, code=code))
    with maintenance():
        latest = SchemeVersion.objects.filter(organisation=org_a, code="noloc-register-jobcoach").latest("version")
    data = {item.path: item.display_value for group in editor.editable_groups(latest.definition)
            for item in group.fields}
    meta = {"effective_from": "2030-01-01", "change_note": "A change"}
    pages.post(client, "form editor preview (htmx)", url("scheme_edit", org_a, code="noloc-register-jobcoach"),
               {**data, **meta, "action": "preview", "label.en": text_at("label (edited)")}, htmx=True,
               shows=("label (edited)",))
    pages.post(client, "form editor errors", url("scheme_edit", org_a, code="noloc-register-jobcoach"),
               {**data, **meta, "action": "preview", "categories[0].max": "-1"}, status=422)
    changed = poisoned("noloc-register-jobcoach")
    changed["label"] = {language: text_at("label (changed)") for language in LANGUAGES}
    changed["categories"][0]["description"] = None
    pages.post(client, "JSON editor preview with diff", url("scheme_edit_json", org_a, code="noloc-register-jobcoach"),
               {**meta, "definition": json.dumps(changed), "action": "preview"}, shows=("label (changed)",))
    broken = {**changed, "categories": [{**changed["categories"][0], "max": "lots"}, *changed["categories"][1:]]}
    pages.post(client, "JSON editor errors", url("scheme_edit_json", org_a, code="noloc-register-jobcoach"),
               {**meta, "definition": json.dumps(broken), "action": "preview"}, status=422)
    export = client.get(url("scheme_export", org_a, code="noloc-register-jobcoach", version=latest.version))
    assert export["Content-Type"].startswith("application/json")  # a download, never rendered as a page
    assert export["Content-Disposition"].startswith("attachment")
    assert export["X-Content-Type-Options"] == "nosniff"
    pages.post(client, "scheme import with diff", url("scheme_import", org_a), {
        "file": SimpleUploadedFile("noloc.json", json.dumps(changed).encode(), content_type="application/json")},
        shows=("label (changed)",))
    pages.get(client, "certification list", url("certification_list", org_a))
    pages.get(client, "certification list (htmx)", url("certification_list", org_a) + "?q=NL", htmx=True)
    pages.get(client, "certification page", url("certification_detail", org_a, pk=certification.pk))
    pages.get(client, "certification edit", url("certification_edit", org_a, pk=certification.pk))
    pages.get(client, "new certification", url("certification_create", org_a))
    for code in CODES:
        pages.get(client, f"new {code} certification", url("certification_create", org_a) + f"?scheme={code}")
        pages.get(client, f"new {code} certification (htmx)", url("certification_create", org_a) + f"?scheme={code}",
                  htmx=True)
    pages.get(client, "compliance overview", url("compliance", org_a))
    pages.get(client, "compliance overview (htmx)", url("compliance", org_a) + "?q=alice", htmx=True)
    pages.get(client, "reminder log", url("reminder_log", org_a))
    pages.get(client, "reminder log (htmx)", url("reminder_log", org_a) + "?q=alice", htmx=True)
    pages.get(client, "activity import form", url("activity_import", org_a), text=False)
    rows = ("email_or_certificate_number,type,date,quantity,title,provider,description,completed\n"
            "alice@example.com,course,2025-03-01,10,Course,,,\n"
            "alice@example.com,article,2025-03-01,1,Article,,,\n")
    pages.post(client, "activity import dry run", url("activity_import", org_a),
               {"file": SimpleUploadedFile("cpd.csv", rows.encode(), content_type="text/csv")}, status=422)
    with maintenance():
        assert Activity.objects.filter(organisation=org_a, title="Course").count() == 0

    pages.assert_clean()
    assert len(pages.checked) > 60
