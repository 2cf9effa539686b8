"""The Python half of scripts/smoke (which starts and stops the processes): its settings, the database it
prepares, and the journey it makes over HTTP against the running stack.

    smoke.py env       print the shell `export` lines of the production-like environment (ports, database, ...)
    smoke.py static    collect static files with the production storage (cached in var/static)
    smoke.py prepare   reset the smoke database (a copy of a migrated template), migrate, empty its Redis db
    smoke.py seed      seed the demo data (seed_demo), arrange a reminder due today
    smoke.py journey   the checks, over HTTP and SMTP, step by step with their times

The journey signs in as the PeopleCert demo professional through allauth's log-in form, logs an activity,
uploads evidence to it, starts and submits the yearly dossier, waits until the worker has rendered its PDF
(downloaded, checked to be a PDF that names the certificate), waits for the submission's confirmation
e-mail, for the reminder beat's scan sends to the Noloc demo professional, and for allauth's password-reset
e-mail, and follows the reset link. Every e-mail is read from the Maildir the SMTP catcher (aiosmtpd) writes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import http.cookiejar
import mailbox
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

import prodenv  # noqa: E402

SMOKE_DIR = ROOT / "var" / "smoke"
PASSWORD = "demo-password-2026"  # noqa: S105 - seed_demo's published demo password
PROFESSIONAL = "professional@peoplecert.demo"
REMINDED = "professional@noloc.demo"
ORG = "peoplecert"
# Beat's schedule for the smoke run (scripts/smoke_beat.py): the reminder scan every few seconds instead of
# daily at 06:00, so beat itself is what starts it.
SCAN_EVERY_SECONDS = 2.0
# The smallest well-formed PDF (one empty page), as evidence: the upload checks files by content.
EVIDENCE_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
                b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n"
                b"%%EOF\n")


# --- env --------------------------------------------------------------------------------------------------

def _redis_for_smoke(url: str) -> str:
    """The smoke run's own Redis db: the test suite's number + 8 (mod 16), so neither flushes the other's."""
    parsed = urlparse(url)
    number = int(parsed.path.lstrip("/") or 0)
    return urlunparse(parsed._replace(path=f"/{(number + 8) % 16}"))


def command_env() -> None:
    database = os.environ.get("DATABASE_URL", "postgres://recert_app@127.0.0.1:5432/recert")
    database_name = urlparse(database).path.lstrip("/") or "recert"
    smoke_database = os.environ.get("SMOKE_DATABASE_URL") or prodenv.database_url_named(
        database, f"{database_name}_smoke")
    redis_url = os.environ.get("SMOKE_REDIS_URL") or _redis_for_smoke(
        os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    web, smtp = prodenv.free_port(), prodenv.free_port()
    env = prodenv.production_env(database_url=smoke_database, redis_url=redis_url,
                                 site_url=f"http://127.0.0.1:{web}", email_url=f"smtp://127.0.0.1:{smtp}",
                                 media_root=SMOKE_DIR / "media")
    env.update({"SMOKE_WEB_PORT": str(web), "SMOKE_SMTP_PORT": str(smtp), "SMOKE_DIR": str(SMOKE_DIR),
                "SMOKE_MAILDIR": str(SMOKE_DIR / "mail")})
    for key in prodenv.NOT_IN_PRODUCTION:
        print(f"unset {key}")
    for key, value in env.items():
        if os.environ.get(key) != value:
            print(f"export {key}={shlex.quote(value)}")


# --- static, prepare ------------------------------------------------------------------------------------

def command_static() -> None:
    ran = prodenv.collect_static(dict(os.environ))
    print("static files collected (production storage)" if ran else "static files already collected")


def command_prepare() -> None:
    """An empty, migrated database (a copy of the template) and an empty Redis db."""
    import redis
    from prepare_services import prepare_postgres

    prepare_postgres()
    database = os.environ["DATABASE_URL"]
    prodenv.database_reset(database, template=prodenv.database_template(database))
    redis.Redis.from_url(os.environ["REDIS_URL"], socket_connect_timeout=3).flushdb()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)  # nothing left to do on the template's copy, unless it is out of date


def command_seed() -> None:
    """The demo data (run while the processes boot: hashing its users' passwords takes a while)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    _arrange_reminder()


def _arrange_reminder() -> None:
    """The Noloc demo certificate's recertification date two weeks away: its "1 month before" reminder (the
    scheme's last offset) is due today and not yet sent."""
    from django.utils import timezone

    from accounts.tenancy import maintenance
    from portfolios.models import Certification

    with maintenance():
        updated = Certification.objects.filter(holder__email=REMINDED).update(
            recertification_date=timezone.localdate() + dt.timedelta(days=14))
    assert updated == 1, f"seed_demo gave {REMINDED} {updated} certifications, expected 1"


# --- journey ----------------------------------------------------------------------------------------------

class SmokeFailure(Exception):
    pass


class ProxyCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """The client stands where production's TLS proxy stands, so the session and CSRF cookies (Secure, as
    production sets them) travel over this one loopback HTTP hop, as they would behind the proxy."""

    def return_ok_secure(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return True


def proxy_session() -> Any:
    """A requests session that sends its cookies by ProxyCookiePolicy and says X-Forwarded-Proto: https, as
    production's proxy does (the app then treats each request as HTTPS: Secure cookies, CSRF Origin check)."""
    import requests

    class ProxySession(requests.Session):
        def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
            prepared = super().prepare_request(request)
            # requests copies the jar into one with the default policy (no Secure cookies over http): use ours.
            prepared.headers.pop("Cookie", None)
            prepared.prepare_cookies(self.cookies)
            return prepared

    session = ProxySession()
    session.cookies.set_policy(ProxyCookiePolicy())
    session.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "en"})
    return session


class Journey:
    def __init__(self, base: str, maildir: Path) -> None:
        self.base = base.rstrip("/")
        self.maildir = maildir
        # Times are counted from scripts/smoke's start (SMOKE_STARTED, epoch seconds) when it gives one.
        self.offset = time.time() - float(os.environ.get("SMOKE_STARTED", str(time.time())).replace(",", "."))
        self.started = time.monotonic() - self.offset

    def client(self) -> Any:
        return proxy_session()

    def step(self, title: str, action: Callable[[], str]) -> None:
        began = time.monotonic()
        detail = action()
        now = time.monotonic()
        print(f"[{now - self.started:5.1f} s] {title}: {detail} ({now - began:.1f} s)", flush=True)

    # HTTP helpers --------------------------------------------------------------------------------------
    def get(self, session: Any, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        response = session.get(self.base + path, timeout=30, **kwargs)
        if response.status_code != expect:
            raise SmokeFailure(f"GET {path} answered {response.status_code}, expected {expect}: "
                               f"{response.text[:300]!r}")
        return response

    def post(self, session: Any, path: str, data: dict, *, form_page: str | None = None, expect: int = 302,
             **kwargs: Any) -> Any:
        """POST like a browser: the CSRF token from the form's page (`form_page`, default `path`), Origin."""
        page = self.get(session, form_page or path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        if token is None:
            raise SmokeFailure(f"no CSRF token on {form_page or path}")
        origin = "https://" + urlparse(self.base).netloc
        response = session.post(self.base + path, data={"csrfmiddlewaretoken": token[1], **data}, timeout=60,
                                allow_redirects=False, headers={"Origin": origin}, **kwargs)
        if response.status_code != expect:
            raise SmokeFailure(f"POST {path} answered {response.status_code}, expected {expect}: "
                               f"{_text(response.text)[:600]!r}")
        return response

    # Mail helpers --------------------------------------------------------------------------------------
    def messages(self) -> list[EmailMessage]:
        if not (self.maildir / "new").is_dir():
            return []  # nothing received yet
        box = mailbox.Maildir(self.maildir, factory=None, create=False)
        found = []
        for key in sorted(box.keys()):
            found.append(email.message_from_bytes(box.get_bytes(key), policy=email.policy.default))
        return found

    def wait_for_mail(self, to: str, what: str, match: Callable[[EmailMessage], bool], timeout: float
                      ) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if to in str(message.get("To", "")) and match(message):
                    return message
            time.sleep(0.25)
        seen = [f"{m.get('To')}: {m.get('Subject')}" for m in self.messages()]
        raise SmokeFailure(f"no {what} for {to} reached the SMTP catcher within {timeout:.0f} s "
                           f"(it received: {seen or 'nothing'})")

    # The steps -----------------------------------------------------------------------------------------
    def run(self) -> None:
        pro = self.client()
        state: dict[str, Any] = {}
        self.step("web answers /healthz with the database and broker up", lambda: self.healthy())
        self.step(f"signed in as {PROFESSIONAL} (allauth form)", lambda: self.sign_in(pro))
        self.step("logged an activity", lambda: self.log_activity(pro, state))
        self.step("uploaded evidence to it and downloaded it back", lambda: self.upload(pro, state))
        self.step("started and submitted the yearly dossier", lambda: self.submit(pro, state))
        self.step("the worker rendered the dossier PDF", lambda: self.wait_for_pdf(pro, state))
        self.step("the submission's confirmation e-mail arrived over SMTP", lambda: self.confirmation())
        self.step("beat's reminder scan sent a reminder over SMTP", lambda: self.reminder())
        self.step("allauth's password-reset e-mail arrived and its link opens the form", lambda: self.reset())
        self.step("the reminder went out once, though beat scanned again and again", lambda: self.once())

    def healthy(self) -> str:
        deadline = time.monotonic() + 30
        session = self.client()
        while True:
            try:
                response = session.get(self.base + "/healthz", timeout=5)
                health = response.json()
                if response.status_code == 200 and health.get("broker") == "ok":
                    return str(health)
            except Exception:  # noqa: BLE001 - not up yet
                health = "no answer"
            if time.monotonic() > deadline:
                raise SmokeFailure(f"/healthz did not report a healthy database and broker within 30 s: {health}")
            time.sleep(0.3)

    def sign_in(self, session: Any) -> str:
        response = self.post(session, "/accounts/login/", {"login": PROFESSIONAL, "password": PASSWORD})
        landing = session.get(self.base + response.headers["Location"], timeout=30)
        if urlparse(landing.url).path != f"/{ORG}/" or landing.status_code != 200:
            raise SmokeFailure(f"after signing in, expected the {ORG} dashboard, got {landing.status_code} at "
                               f"{landing.url}")
        return f"landed on {urlparse(landing.url).path}"

    def log_activity(self, session: Any, state: dict) -> str:
        day = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=3)  # well inside the current CPD year
        response = self.post(session, f"/{ORG}/activities/new/", {
            "type_code": "best-practice-at-work", "quantity": "12", "date": day.isoformat(),
            "title": "Smoke test: introduced a change calendar", "provider": "", "description": "",
            "reflection": ""})
        found = re.search(rf"/{ORG}/activities/(\d+)/", response.headers["Location"])
        if found is None:
            raise SmokeFailure(f"saving the activity led to {response.headers['Location']}, not to the activity")
        state["activity"] = int(found[1])
        return f"activity {found[1]}, 12 hours of best practice at work"

    def upload(self, session: Any, state: dict) -> str:
        page = f"/{ORG}/activities/{state['activity']}/"
        self.post(session, f"/{ORG}/evidence/upload/", {"activity": str(state["activity"]), "next": page},
                  form_page=page, files={"file": ("smoke-evidence.pdf", EVIDENCE_PDF, "application/pdf")})
        listing = self.get(session, page).text
        found = re.search(rf'href="(/{ORG}/evidence/(\d+)/)"', listing)
        if "smoke-evidence.pdf" not in listing or found is None:
            raise SmokeFailure(f"the uploaded file is not listed on {page}: {_messages(listing)}")
        download = self.get(session, found[1])
        if download.content != EVIDENCE_PDF:
            raise SmokeFailure("the downloaded evidence differs from what was uploaded")
        return f"evidence {found[2]}, {len(EVIDENCE_PDF)} bytes, identical on download"

    def submit(self, session: Any, state: dict) -> str:
        listing = self.get(session, f"/{ORG}/dossiers/").text
        start = re.search(rf'action="(/{ORG}/dossiers/start/\d+/)"', listing)
        kind = re.search(r'name="kind" value="([\w-]+)"', listing)
        if start is None or kind is None:
            raise SmokeFailure(f"no dossier to start on /{ORG}/dossiers/")
        response = self.post(session, start[1], {"kind": kind[1]}, form_page=f"/{ORG}/dossiers/")
        found = re.search(rf"/{ORG}/dossiers/(\d+)/$", response.headers["Location"])
        if found is None:
            raise SmokeFailure(f"starting the dossier led to {response.headers['Location']}: "
                               f"{_messages(session.get(self.base + response.headers['Location']).text)}")
        state["dossier"] = int(found[1])
        submit = f"/{ORG}/dossiers/{found[1]}/submit/"
        self.post(session, submit, {})
        return f"dossier {found[1]} ({kind[1]})"

    def wait_for_pdf(self, session: Any, state: dict, timeout: float = 45) -> str:
        path = f"/{ORG}/dossiers/{state['dossier']}/pdf/"
        deadline = time.monotonic() + timeout
        while True:
            response = session.get(self.base + path, timeout=30)
            if response.status_code == 200:
                break
            if response.status_code != 404 or time.monotonic() > deadline:
                raise SmokeFailure(f"the dossier PDF was not downloadable within {timeout:.0f} s (last answer "
                                   f"{response.status_code}); did the worker run render_submission_pdf?")
            time.sleep(0.3)
        data = response.content
        if response.headers.get("Content-Type") != "application/pdf" or not data.startswith(b"%PDF-") \
                or b"%%EOF" not in data[-1024:]:
            raise SmokeFailure(f"{path} is not a PDF ({response.headers.get('Content-Type')}, {len(data)} bytes)")
        text = _pdf_text(data)
        if text is not None and "PEOPLECERT-0001" not in text:
            raise SmokeFailure("the dossier PDF does not name certificate PEOPLECERT-0001")
        checked = "names PEOPLECERT-0001" if text is not None else "text not checked: pdftotext is missing"
        return f"{len(data) / 1024:.0f} KiB PDF, {checked}"

    def confirmation(self) -> str:
        message = self.wait_for_mail(PROFESSIONAL, "submission confirmation",
                                     lambda m: f"/{ORG}/dossiers/" in _body(m), timeout=30)
        return f"“{message['Subject']}”"

    def reminder(self) -> str:
        message = self.wait_for_mail(REMINDED, "reminder", lambda m: "List-Unsubscribe" in m, timeout=40)
        return f"“{message['Subject']}”"

    def reset(self) -> str:
        anonymous = self.client()
        self.post(anonymous, "/accounts/password/reset/", {"email": PROFESSIONAL})
        message = self.wait_for_mail(PROFESSIONAL, "password-reset e-mail",
                                     lambda m: "/accounts/password/reset/key/" in _body(m), timeout=30)
        found = re.search(r"https?://\S+/accounts/password/reset/key/\S+", _body(message))
        link = urlparse(found[0]) if found else None
        # allauth builds the link from the request: https (the proxy's scheme), this host and port.
        if link is None or (link.scheme, link.netloc) != ("https", urlparse(self.base).netloc):
            raise SmokeFailure(f"the reset e-mail's link does not lead to this site: {found}")
        form = anonymous.get(self.base + link.path, timeout=30)
        if form.status_code != 200 or 'name="password1"' not in form.text:
            raise SmokeFailure(f"the reset link answered {form.status_code} without the new-password form")
        return f"“{message['Subject']}”, link opens the new-password form"

    def once(self) -> str:
        time.sleep(SCAN_EVERY_SECONDS * 2)  # at least one more scan after the send
        reminders = [m for m in self.messages() if REMINDED in str(m.get("To", "")) and "List-Unsubscribe" in m]
        if len(reminders) != 1:
            raise SmokeFailure(f"{len(reminders)} reminders reached {REMINDED}; the scan must send one")
        return f"{len(self.messages())} e-mails in all, 1 reminder"


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _messages(html: str) -> str:
    """The page's flash messages (what the app said), for failure reports."""
    return "; ".join(_text(item) for item in re.findall(r'<div class="alert[^"]*">(.*?)</div>', html, re.S)) \
        or "(no message)"


def _pdf_text(data: bytes) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(data)
        handle.flush()
        return subprocess.run(["pdftotext", handle.name, "-"], capture_output=True, text=True, check=True).stdout


def command_journey() -> None:
    journey = Journey(f"http://127.0.0.1:{os.environ['SMOKE_WEB_PORT']}", Path(os.environ["SMOKE_MAILDIR"]))
    try:
        journey.run()
    except SmokeFailure as failure:
        print(f"\nSMOKE FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
    except Exception as error:
        traceback.print_exc()
        print(f"\nSMOKE FAILED: the journey itself broke ({type(error).__name__}: {error})", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = {"env": command_env, "static": command_static, "prepare": command_prepare, "seed": command_seed,
                "journey": command_journey}
    parser.add_argument("command", choices=list(commands))
    commands[parser.parse_args().command]()


if __name__ == "__main__":
    main()
