"""The main pages are valid HTML: the W3C Nu HTML checker (npm's `vnu-jar`, run with Java) reports no errors.

The pages are rendered by the test client as the people who see them (a visitor, a Noloc professional with a
dossier, the statement signer, an administrator) and checked in one run of the checker. htmx attributes are
written `data-hx-*` (htmx reads both forms), so no exception to the checker's rules is needed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from accounts import services as account_services
from accounts.tenancy import maintenance
from dossiers.services import dossiers as dossier_services
from dossiers.services import statements as statement_services
from tests import factories

pytestmark = pytest.mark.django_db

VNU = Path(settings.BASE_DIR) / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def checker_errors(pages: dict[str, bytes], tmp_path: Path) -> list[str]:
    java = shutil.which("java")
    if java is None:
        pytest.fail("Java not found: install Debian's default-jre-headless (.ci/run does) to run the Nu HTML checker.")
    if not VNU.exists():
        pytest.fail(f"vnu-jar not found at {VNU}: run `npm ci` (scripts/test does).")
    files = {}
    for number, (name, content) in enumerate(pages.items()):
        path = tmp_path / f"page{number}.html"
        path.write_bytes(content)
        files[path.name] = name
    done = subprocess.run([java, "-jar", str(VNU), "--errors-only", "--format", "json",
                           *[str(tmp_path / name) for name in files]], capture_output=True, text=True, timeout=300)
    messages = json.loads(done.stderr or "{}").get("messages", [])
    return [f"{files.get(message.get('url', '').rsplit('/', 1)[-1], message.get('url'))} line "
            f"{message.get('lastLine')}: {message.get('message')} [{message.get('extract', '').strip()}]"
            for message in messages
            if message.get("type") == "error" or message.get("subType") == "fatal"]


def page(client, path: str) -> bytes:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content


def test_main_pages_pass_the_nu_html_checker(client, tmp_path, mailoutbox, django_capture_on_commit_callbacks):
    with maintenance(), django_capture_on_commit_callbacks(execute=True):
        noloc = factories.organisation(slug="noloc", name="Noloc", allow_join_requests=True)
        factories.organisation(slug="ccmg", name="CCMG", allow_join_requests=True)
        nora = factories.user("nora@example.com", first_name="Nora")
        join_request = account_services.join_request_create(organisation=noloc, user=nora, message="Member 4711")
        alice = factories.member(noloc, "alice@example.com", "professional", first_name="Alice")
        ada = factories.member(noloc, "ada@example.com", "admin", first_name="Ada")
        certification = factories.certification(noloc, alice, "noloc-register-jobcoach",
                                                recertification_date=dt.date(2027, 3, 1))
        activity = factories.activity(noloc, alice, "course", dt.date(2025, 5, 1), 10)
        dossier, _ = dossier_services.dossier_start(certification=certification, by=alice)
        statement_services.statement_request(dossier=dossier, section_code="A3.1",
                                             requirement_code="reflection-meeting", signer_name="Fay Facil",
                                             signer_email="fay@example.com", by=alice)
    link = next(line for line in mailoutbox[-1].body.split() if "/sign/" in line)
    org = {"org": "noloc"}
    pages = {name: page(client, path) for name, path in {
        "home": "/", "sign in": "/accounts/login/", "sign up": "/accounts/signup/",
        "statement signing": link.replace(settings.SITE_URL, ""),
    }.items()}
    client.force_login(nora)
    pages["no organisation yet (join requests)"] = page(client, "/")
    client.force_login(alice)
    pages |= {name: page(client, path) for name, path in {
        "dashboard": reverse("org_home", kwargs=org),
        "activity list": reverse("activity_list", kwargs=org),
        "activity form": reverse("activity_create", kwargs=org),
        "activity edit": reverse("activity_edit", kwargs={**org, "pk": activity.pk}),
        "dossier list": reverse("dossier_list", kwargs=org),
        "dossier": reverse("dossier_detail", kwargs={**org, "pk": dossier.pk}),
        "dossier section A1": reverse("dossier_section", kwargs={**org, "pk": dossier.pk, "code": "A1"}),
        "dossier section A3.1": reverse("dossier_section", kwargs={**org, "pk": dossier.pk, "code": "A3.1"}),
        "my certifications": reverse("my_certifications", kwargs=org),
        "profile": reverse("profile"),
    }.items()}
    client.force_login(ada)
    pages |= {name: page(client, path) for name, path in {
        "administrator's home": reverse("org_home", kwargs=org),
        "members": reverse("members", kwargs=org),
        "compliance": reverse("compliance", kwargs=org),
        "certifications": reverse("certification_list", kwargs=org),
        "schemes": reverse("scheme_list", kwargs=org),
        "scheme editor": reverse("scheme_edit", kwargs={**org, "code": "noloc-register-jobcoach"}),
        "imports": reverse("activity_import", kwargs=org),
        "join requests": reverse("join_requests", kwargs=org),
        "join request": reverse("join_request_decide", kwargs={**org, "pk": join_request.pk}),
    }.items()}
    errors = checker_errors(pages, tmp_path)
    assert not errors, "The Nu HTML checker reports:\n" + "\n".join(errors)
