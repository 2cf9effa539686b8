"""The Content-Security-Policy header, and what keeps our pages inside it.

The browser journeys (tests/browser/test_csp_journeys.py) prove nothing is refused in a real browser; here
the header's directives are pinned, downloads and JSON are shown to be unaffected, and the templates and
scripts are checked for what the policy would refuse (inline scripts, styles and handlers; HTML written
from strings in our JavaScript).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.tenancy import maintenance
from dossiers.models import Evidence
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
EXPECTED = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def url(name: str, org, **kwargs) -> str:
    return reverse(name, kwargs={"org": org.slug, **kwargs})


def test_html_pages_carry_the_policy(client, org_a, alice):
    factories.certification(org_a, alice)
    anonymous = [client.get("/accounts/login/"), client.get("/"), client.get("/accounts/signup/")]
    client.force_login(alice)
    signed_in = [client.get(url("org_home", org_a)), client.get(url("activity_create", org_a)),
                 client.get(url("members", org_a)),  # 403 and 404: an error page is a page too
                 client.get("/no-such-organisation/")]
    assert [r.status_code for r in anonymous + signed_in] == [200, 200, 200, 200, 200, 403, 404]
    for response in anonymous + signed_in:
        assert response["Content-Type"].startswith("text/html")
        policy = directives(response)
        assert policy == EXPECTED
        header = response.headers["Content-Security-Policy"]
        for loophole in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "nonce-", "*", "http:", "https:"):
            assert loophole not in header
    # frame-ancestors is the CSP form of the X-Frame-Options header, which stays for older browsers.
    assert signed_in[0]["X-Frame-Options"] == "DENY"


def test_htmx_is_told_to_stay_inside_the_policy(client):
    page = client.get("/accounts/login/").content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert meta, "no htmx-config meta element"
    assert json.loads(meta.group(1)) == {"includeIndicatorStyles": False, "allowEval": False,
                                         "allowScriptTags": False}
    assert page.index('name="htmx-config"') < page.index("htmx-2.min.js")  # read when htmx starts
    # The indicator rules htmx would have injected are in our stylesheet instead.
    css = (ROOT / "static/css/app.css").read_text()
    assert ".htmx-request .htmx-indicator, .htmx-request.htmx-indicator" in css


def test_downloads_and_json_are_unaffected(client, org_a, alice, ada, tmp_path, settings):
    """The header comes with every response, but for a download or JSON it changes nothing: such a response
    loads nothing, and is never a page the policy could break (it would only make an opened file inert)."""
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": None}}}
    factories.certification(org_a, alice)  # adopts Noloc, whose definition is exported below
    activity = factories.activity(org_a, alice, "course", dt.date(2025, 3, 1), 4)
    content = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    with maintenance():
        evidence = Evidence(organisation=org_a, owner=alice, activity=activity, original_name="proof.pdf",
                            content_type="application/pdf", size=len(content),
                            sha256=hashlib.sha256(content).hexdigest())
        evidence.file.save("proof.pdf", ContentFile(content), save=False)
        evidence.save()
    client.force_login(alice)
    download = client.get(url("evidence_download", org_a, pk=evidence.pk))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == content
    # The download view's own, stricter policy is kept: the middleware never replaces a view's header.
    assert directives(download) == {"default-src": ["'none'"], "sandbox": []}
    csv_export = client.get(url("activity_export", org_a))
    assert csv_export["Content-Type"].startswith("text/csv")
    assert "Course" in b"".join(csv_export.streaming_content).decode()

    client.force_login(ada)
    exported = client.get(url("scheme_export", org_a, code="noloc-register-jobcoach", version=1))
    assert exported["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(exported.content)["code"] == "noloc-register-jobcoach"
    health = client.get("/healthz")
    assert health["Content-Type"] == "application/json"
    assert health.json()["database"] == "ok"


def test_the_brand_colour_is_a_stylesheet_of_its_own(client, org_a, alice):
    org_a.primary_colour = "#7A1F4E"
    org_a.save()
    client.force_login(alice)
    page = client.get(url("org_home", org_a)).content.decode()
    assert '<link rel="stylesheet" href="/brand/7a1f4e.css">' in page
    assert "<style" not in page
    css = client.get("/brand/7a1f4e.css")
    assert css.status_code == 200
    assert css["Content-Type"] == "text/css; charset=utf-8"
    assert css.content.decode() == ":root { --brand: #7a1f4e; }\n"
    assert "immutable" in css["Cache-Control"]
    for bad in ("7a1f4", "7a1f4e;}body{x", "zzzzzz", "7A1F4E"):
        assert client.get(f"/brand/{bad}.css").status_code == 404
    client.logout()
    assert client.get("/brand/7a1f4e.css").status_code == 200  # public, like the logo


def test_the_server_error_page_has_no_inline_style():
    page = render_to_string("500.html")
    assert "style=" not in page
    assert "/static/css/app.css" in page


# --- what the policy would refuse, found before a browser does ------------------------------------------------

# Mail clients ignore the policy and need inline styles, so e-mail HTML is exempt.
EMAIL_HTML = re.compile(r"/email/")
INLINE = [
    (re.compile(r"\sstyle\s*="), "a style attribute"),
    (re.compile(r"<style\b"), "a <style> element"),
    (re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an event-handler attribute"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: address"),
    (re.compile(r"\bhx-on\b|hx-on:|hx-on::|\bhx-vars\b|\bjs:"), "an htmx attribute that evaluates code"),
]
UNSAFE_JS = [
    (re.compile(r"\.innerHTML\b|\.outerHTML\s*=|insertAdjacentHTML|document\.write"), "HTML written from a string"),
    (re.compile(r"\beval\s*\(|new Function\b|setTimeout\(\s*[\"']"), "code evaluated from a string"),
    (re.compile(r"setAttribute\(\s*[\"']style[\"']|\.style\.cssText"), "an inline style set from a string"),
]


COMMENTS = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.DOTALL)


def _templates() -> list[Path]:
    return [path for path in (ROOT / "templates").rglob("*.html") if not EMAIL_HTML.search(path.as_posix())]


def _without_comments(text: str) -> str:
    """Template comments never reach the browser; blank them out, keeping the line numbers."""
    return COMMENTS.sub(lambda match: "\n" * match.group(0).count("\n"), text)


def test_templates_hold_no_inline_script_style_or_handler():
    assert len(_templates()) > 50
    found = [f"{path.relative_to(ROOT)}:{text[:match.start()].count(chr(10)) + 1}: {what}"
             for path in _templates() for text in [_without_comments(path.read_text())]
             for pattern, what in INLINE for match in pattern.finditer(text)]
    assert not found, "\n".join(found)


def test_our_javascript_writes_no_html_and_evaluates_nothing():
    scripts = list((ROOT / "static/js").rglob("*.js"))
    assert scripts
    found = [f"{path.relative_to(ROOT)}: {what}" for path in scripts for pattern, what in UNSAFE_JS
             if pattern.search(path.read_text())]
    assert not found, "\n".join(found)


def test_the_guards_above_recognise_what_they_look_for():
    """The patterns match the things they are meant to refuse (else the two tests above could not fail)."""
    samples = ['<div style="width: 5%">', "<style>a{}</style>", "<script>alert(1)</script>", '<a onclick="x()">',
               '<a href="javascript:x()">', '<div hx-on:click="x()">']
    assert all(any(pattern.search(sample) for pattern, _ in INLINE) for sample in samples)
    assert not any(pattern.search('<script src="/static/js/a.js" defer></script>') for pattern, _ in INLINE)
    assert not any(pattern.search('<script type="application/json">{}</script>') for pattern, _ in INLINE)
    js = ["holder.innerHTML = html;", "eval('1')", 'el.setAttribute("style", "x")']
    assert all(any(pattern.search(sample) for pattern, _ in UNSAFE_JS) for sample in js)
