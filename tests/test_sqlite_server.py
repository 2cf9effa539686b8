"""The embedded default under concurrent use: a real `manage.py runserver` (threaded, as `scripts/run` starts
it) on a fresh SQLite file, four people autosaving and adding activities at the same moment.

Every request runs in one transaction (TenantTransactionMiddleware). With SQLite's default deferred
transactions a request reads first and then asks for the write lock; when another request holds it SQLite
answers "database is locked" at once instead of waiting (waiting could deadlock), so concurrent saves were
500s. The settings begin SQLite transactions IMMEDIATE (the write lock is taken at BEGIN, so a request
waits its turn under the busy timeout) and use WAL, so readers never wait for a writer.

SQLite locks the whole database file, so four people each saving their own dossier section contend exactly
as four tabs saving one section would; separate people let the check be exact: afterwards each section
must hold its writer's last text, and every activity must be there once.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
WRITERS = 4
ROUNDS = 5
PASSWORD = "demo-password-2026"
QUESTIONS = ("present", "past", "future")  # Noloc section A4, "development-plan"

# Four more Noloc professionals, each holding a certification like the demo professional's.
FIXTURE = f"""
import json
from allauth.account.models import EmailAddress
from accounts.models import Membership, Organisation, Role, User
from accounts.tenancy import maintenance
from portfolios.models import Certification

with maintenance():
    organisation = Organisation.objects.get(slug="noloc")
    model = Certification.objects.get(organisation=organisation, number="NOLOC-0001")
    made = {{}}
    for index in range({WRITERS}):
        email = f"writer{{index}}@noloc.demo"
        user = User.objects.create_user(email=email, password="{PASSWORD}", first_name=f"Writer{{index}}",
                                        last_name="Concurrent", preferred_language="en")
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        membership = Membership.objects.create(organisation=organisation, user=user)
        membership.set_roles([Role.PROFESSIONAL])
        membership.save()
        held = Certification.objects.create(organisation=organisation, holder=user, scheme_version=model.scheme_version,
                                            number=f"NOLOC-W{{index}}",
                                            recertification_date=model.recertification_date)
        made[email] = held.pk
print("FIXTURE" + json.dumps(made))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    url: str
    database: Path
    certifications: dict[str, int]
    log: Path


def embedded_env(tmp_path: Path, port: int) -> dict[str, str]:
    """The embedded default's environment: no PostgreSQL, no Redis, no broker; a SQLite file of our own."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TESTING", "DJANGO_SETTINGS_MODULE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
                "MEDIA_ROOT": str(tmp_path / "media"), "SITE_URL": f"http://127.0.0.1:{port}",
                "PYTHONUNBUFFERED": "1"})
    return env


def manage(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, input=stdin, text=True,
                          capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture
def embedded_server(tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    env = embedded_env(tmp_path, port)
    manage(env, "migrate", "--no-input", "-v", "0")
    manage(env, "createcachetable")
    manage(env, "seed_demo")
    output = manage(env, "shell", stdin=FIXTURE)
    certifications = json.loads(output.split("FIXTURE", 1)[1].strip())
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=5)
                break
            except requests.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"runserver did not start:\n{log.read_text()}")
                time.sleep(0.2)
        yield Server(url=url, database=tmp_path / "db.sqlite3", certifications=certifications, log=log)
    finally:
        server.terminate()
        server.wait(timeout=15)


@dataclass
class Writer:
    email: str
    certification: int
    index: int
    session: requests.Session = field(default_factory=requests.Session)
    dossier: int | None = None
    answers: list[tuple[str, int, str]] = field(default_factory=list)  # (what, status, problem)

    def csrf(self, page: requests.Response) -> str:
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {page.url}"
        return found.group(1)

    def record(self, what: str, response: requests.Response) -> None:
        problem = ""
        if response.status_code >= 300 or any(step.status_code != 302 for step in response.history):
            title = re.search(r"<title>(.*?)</title>", response.text, re.S)
            problem = " ".join((title.group(1) if title else response.text[:200]).split())
        self.answers.append((what, response.status_code, problem))

    def sign_in(self, url: str) -> None:
        page = self.session.get(f"{url}/accounts/login/", timeout=60)
        response = self.session.post(f"{url}/accounts/login/", timeout=60, data={
            "csrfmiddlewaretoken": self.csrf(page), "login": self.email, "password": PASSWORD})
        self.record("log in", response)
        assert "sessionid" in self.session.cookies, f"{self.email} is not signed in: {response.url}"

    def start_dossier(self, url: str) -> None:
        page = self.session.get(f"{url}/noloc/dossiers/", timeout=60)
        response = self.session.post(f"{url}/noloc/dossiers/start/{self.certification}/", timeout=60,
                                     data={"csrfmiddlewaretoken": self.csrf(page), "kind": "recertification"})
        self.record("start dossier", response)
        found = re.search(r"/noloc/dossiers/(\d+)/$", response.url)
        assert found, f"no dossier for {self.email}: {response.url}"
        self.dossier = int(found.group(1))

    def text(self, question: str, round_: int) -> str:
        return f"Writer {self.index}, round {round_}: {question}."

    def autosave(self, url: str, token: str, round_: int) -> None:
        data = {f"development-plan__{question}": self.text(question, round_) for question in QUESTIONS}
        response = self.session.post(f"{url}/noloc/dossiers/{self.dossier}/sections/A4/", timeout=60,
                                     data={"csrfmiddlewaretoken": token, **data}, headers={"HX-Request": "true"})
        self.record(f"autosave round {round_}", response)
        if response.status_code == 200:
            assert "Saved at" in response.text, response.text[:500]

    def add_activity(self, url: str, token: str, round_: int) -> None:
        response = self.session.post(f"{url}/noloc/activities/new/", timeout=60, data={
            "csrfmiddlewaretoken": token, "type_code": "course", "quantity": "2",
            "date": time.strftime("%Y-%m-%d", time.localtime(time.time() - 30 * 86400)),
            "title": f"Writer {self.index} course {round_}", "provider": "Concurrency school"})
        self.record(f"activity round {round_}", response)


def test_concurrent_autosaves_and_writes_on_the_embedded_default_all_succeed_and_nothing_is_lost(embedded_server):
    url = embedded_server.url
    writers = [Writer(email=email, certification=pk, index=index)
               for index, (email, pk) in enumerate(sorted(embedded_server.certifications.items()))]
    for writer in writers:
        writer.sign_in(url)
        writer.start_dossier(url)
    tokens = {writer.email: writer.csrf(writer.session.get(f"{url}/noloc/dossiers/{writer.dossier}/sections/A4/",
                                                           timeout=60)) for writer in writers}
    barrier = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def work(writer: Writer) -> None:
        try:
            for round_ in range(1, ROUNDS + 1):
                barrier.wait(timeout=120)  # everyone saves at the same moment, every round
                writer.autosave(url, tokens[writer.email], round_)
                writer.add_activity(url, tokens[writer.email], round_)
        except BaseException as error:  # noqa: BLE001 - reported below, with the answers so far
            failures.append(error)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(writer,)) for writer in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    answers = [(writer.email, *answer) for writer in writers for answer in writer.answers]
    bad = [answer for answer in answers if answer[2] >= 300 or answer[3]]
    assert not failures, failures
    assert len(answers) == WRITERS * (2 + 2 * ROUNDS)
    assert not bad, f"{len(bad)} of {len(answers)} answers failed: {bad[:5]}"

    with sqlite3.connect(embedded_server.database) as db:
        for writer in writers:
            stored = db.execute("SELECT data FROM portfolios_dossiersection WHERE dossier_id = ? AND code = 'A4'",
                                [writer.dossier]).fetchone()
            assert stored is not None, writer.email
            answers_saved = json.loads(stored[0])["requirements"]["development-plan"]["answers"]
            assert answers_saved == {question: writer.text(question, ROUNDS) for question in QUESTIONS}
            titles = [title for (title,) in db.execute(
                "SELECT a.title FROM portfolios_activity a JOIN accounts_user u ON u.id = a.owner_id "
                "WHERE u.email = ? ORDER BY a.title", [writer.email])]
            assert titles == [f"Writer {writer.index} course {round_}" for round_ in range(1, ROUNDS + 1)]
    assert "database is locked" not in embedded_server.log.read_text()


def test_the_embedded_default_uses_wal_and_immediate_transactions(tmp_path):
    """The settings themselves, as the child process sees them (journal mode is a property of the file)."""
    env = embedded_env(tmp_path, free_port())
    manage(env, "migrate", "--no-input", "-v", "0")
    output = manage(env, "shell", stdin=(
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('PRAGMA journal_mode'); mode = cursor.fetchone()[0]\n"
        "    cursor.execute('PRAGMA busy_timeout'); busy = cursor.fetchone()[0]\n"
        "print('SQLITE', mode, busy, connection.transaction_mode)\n"))
    mode, busy, transaction_mode = output.split("SQLITE", 1)[1].split()
    assert mode == "wal"
    assert int(busy) >= 10_000
    assert transaction_mode == "IMMEDIATE"
