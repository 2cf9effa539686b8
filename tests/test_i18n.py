"""The Dutch and Norwegian catalogues are complete, keep their placeholders, ship compiled, and match the source.

No database: these tests read locale/ and use Django's translation machinery only (the sync test runs
``makemessages`` on a copy of the source, so it needs GNU gettext on PATH).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

from schemes.rules import evaluate, render_message, shipped_definition
from tests.rules.support import act, context

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["nl", "nb"]

# Python %-format placeholders as they appear in the catalogue: %(name)s, %(count)d, ...
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")

GLOSSARY = {
    "nl": {
        "Main": "Hoofdmenu",
        "Home": "Start",
        "Language": "Taal",
        "Change": "Wijzig",
        "Profile": "Profiel",
        "Members": "Leden",
        "Sign in": "Aanmelden",
        "Sign out": "Afmelden",
        "Sign up": "Registreren",
        "Settings": "Instellingen",
        "Audit trail": "Auditlog",
        "Professional": "Professional",
        "Assessor": "Assessor",
        "Decision maker (certifying body)": "Beslisser (certificerende instelling)",
        "Administrator": "Beheerder",
        "Dutch": "Nederlands",
        "English": "Engels",
        "Norwegian Bokmål": "Noors (Bokmål)",
    },
    "nb": {
        "Main": "Hovedmeny",
        "Home": "Hjem",
        "Language": "Språk",
        "Change": "Bytt",
        "Profile": "Profil",
        "Members": "Medlemmer",
        "Sign in": "Logg inn",
        "Sign out": "Logg ut",
        "Sign up": "Registrer deg",
        "Settings": "Innstillinger",
        "Audit trail": "Revisjonslogg",
        "Professional": "Fagperson",
        "Assessor": "Assessor",
        "Decision maker (certifying body)": "Beslutningstaker (sertifiseringsorgan)",
        "Administrator": "Administrator",
        "Dutch": "Nederlandsk",
        "English": "Engelsk",
        "Norwegian Bokmål": "Norsk bokmål",
    },
}


def _po(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po"))


def _mo(lang: str) -> polib.MOFile:
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "django.mo"
    assert path.exists(), f"{path} is missing: run `manage.py compilemessages --ignore=.venv`"
    return polib.mofile(str(path))


def _key(entry: polib._BaseEntry) -> tuple[str | None, str, str | None]:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural or None)


def _translations(entry: polib._BaseEntry) -> tuple[str, ...]:
    if entry.msgid_plural:
        return tuple(entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural))
    return (entry.msgstr,)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_header(lang: str) -> None:
    po = _po(lang)
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == lang
    assert "charset=UTF-8" in po.metadata["Content-Type"]
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_complete(lang: str) -> None:
    po = _po(lang)
    assert len(po) > 0
    untranslated = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    empty_plural_forms = [e.msgid for e in po if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert untranslated == [], f"{lang}: untranslated entries"
    assert fuzzy == [], f"{lang}: fuzzy entries"
    assert empty_plural_forms == [], f"{lang}: plural entries with an empty form"
    assert [e.msgid for e in po if e.obsolete] == [], f"{lang}: obsolete entries (use --no-obsolete)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_kept(lang: str) -> None:
    problems = []
    for entry in _po(lang).translated_entries():
        expected = set(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural:
            expected |= set(PLACEHOLDER.findall(entry.msgid_plural))
        for text in _translations(entry):
            found = set(PLACEHOLDER.findall(text))
            if found != expected:
                problems.append((entry.msgid, text, sorted(expected), sorted(found)))
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_whitespace_kept(lang: str) -> None:
    problems = []
    for entry in _po(lang).translated_entries():
        lead = entry.msgid[: len(entry.msgid) - len(entry.msgid.lstrip())]
        trail = entry.msgid[len(entry.msgid.rstrip()):]
        for text in _translations(entry):
            if not (text.startswith(lead) and text.endswith(trail)):
                problems.append((entry.msgid, text))
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalogue_up_to_date(lang: str) -> None:
    po = {_key(e): _translations(e) for e in _po(lang).translated_entries()}
    mo = {_key(e): _translations(e) for e in _mo(lang) if e.msgid}
    assert mo == po, f"{lang}: django.mo is stale: run `manage.py compilemessages --ignore=.venv`"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_glossary(lang: str) -> None:
    with translation.override(lang):
        assert {msgid: gettext(msgid) for msgid in GLOSSARY[lang]} == GLOSSARY[lang]


@pytest.mark.parametrize(("lang", "one", "many"), [("nl", "1 lid", "3 leden"),
                                                     ("nb", "1 medlem", "3 medlemmer")])
def test_plural_forms(lang: str, one: str, many: str) -> None:
    with translation.override(lang):
        assert ngettext("%(counter)s member", "%(counter)s members", 1) % {"counter": 1} == one
        assert ngettext("%(counter)s member", "%(counter)s members", 3) % {"counter": 3} == many


# What `makemessages` reads (every project app, found from INSTALLED_APPS, so a new app is never forgotten),
# and the exact command the catalogues are maintained with.
def _project_apps() -> list[str]:
    from django.apps import apps

    base = Path(settings.BASE_DIR).resolve()
    return sorted({Path(app.path).resolve().relative_to(base).parts[0] for app in apps.get_app_configs()
                   if Path(app.path).resolve().is_relative_to(base) and "site-packages" not in app.path})


SOURCE = [*_project_apps(), "config", "templates", "locale", "manage.py"]
MAKEMESSAGES = ["makemessages", "-l", "nl", "-l", "nb", "--ignore=.venv", "--ignore=var", "--ignore=tests/*",
                "--ignore=bench/*", "--no-location", "--no-obsolete"]


def _msgids(path: Path) -> set[tuple[str | None, str, str | None]]:
    return {_key(entry) for entry in polib.pofile(str(path)) if not entry.obsolete}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The locale/ directory after running makemessages on a copy of the source (the checkout is left alone)."""
    missing_tools = [tool for tool in ("xgettext", "msgmerge", "msguniq") if shutil.which(tool) is None]
    if missing_tools:
        pytest.skip(f"GNU gettext is not installed ({', '.join(missing_tools)} not on PATH): "
                    "cannot regenerate the catalogues (apt-get install gettext)")
    base = Path(settings.BASE_DIR)
    copy = tmp_path_factory.mktemp("source")
    for name in SOURCE:
        if (base / name).is_dir():
            shutil.copytree(base / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(base / name, copy / name)
    env = {"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": os.environ.get("PATH", "")}
    result = subprocess.run([sys.executable, "manage.py", *MAKEMESSAGES], cwd=copy, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    return copy / "locale"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_catalogue_in_sync_with_source(regenerated: Path, lang: str) -> None:
    """Every translatable string in the source is in the catalogue, and the catalogue holds nothing else."""
    fresh = _msgids(regenerated / lang / "LC_MESSAGES" / "django.po")
    committed = _msgids(LOCALE_DIR / lang / "LC_MESSAGES" / "django.po")
    missing = sorted(fresh - committed, key=repr)
    extra = sorted(committed - fresh, key=repr)
    assert (missing, extra) == ([], []), (
        f"{lang}: locale/{lang}/LC_MESSAGES/django.po is out of date with the source; run "
        f"`manage.py {' '.join(MAKEMESSAGES)}`, translate, then `manage.py compilemessages --ignore=.venv`.\n"
        f"missing from the catalogue ({len(missing)}): {missing}\n"
        f"in the catalogue but no longer in the source ({len(extra)}): {extra}"
    )


@pytest.mark.parametrize(("lang", "expected"), [
    ("nl", "4 van de 19 punten voor Gemeenschap gaan boven het maximum van 15 per CPD-jaar "
           "(CPD-jaar 1 mei 2025 – 30 april 2026)."),
    ("nb", "4 av 19 poeng i Fellesskap går over taket på 15 per CPD-år (CPD-år 1. mai 2025 – 30. april 2026)."),
])
def test_rules_engine_message_is_translated(lang: str, expected: str) -> None:
    """The engine's gettext_noop templates reach the catalogue and are rendered in the reader's language."""
    peoplecert = shipped_definition("peoplecert-cpd")
    report = evaluate(peoplecert, context("2026-04-30", exam_passed_on="2024-04-30"), [
        act("attending-events", "2025-06-01", 10),
        act("reading-forums", "2025-07-01", 9),
    ])
    assert report.category("community").raw == Decimal(19)
    [message] = report.explanations
    assert message.code == "category-cap-excess"
    english = render_message(message, peoplecert, "en")
    assert english == "4 of 19 Community points exceed the 15 per CPD year cap (CPD year 1 May 2025 – 30 April 2026)."
    with translation.override(lang):
        assert gettext(message.template) != message.template, f"{lang}: the engine template is not translated"
        text = render_message(message, peoplecert, lang, translate=gettext)
    assert text != english
    assert text != render_message(message, peoplecert, lang)  # labels, numbers and dates alone are not enough
    assert text == expected
