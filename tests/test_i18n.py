"""The Dutch and Norwegian catalogues are complete, keep their placeholders, and ship compiled.

No database: these tests read locale/ and use Django's translation machinery only.
"""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, ngettext

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
