"""DOCX and ODT uploads are checked inside: package structure, and no zip bombs.

A zip bomb is built for real here (about 200 KiB on the wire expanding to 200 MiB of zeros), written to a
temporary file in chunks so the test itself never holds the expansion in memory; a second one lies in its
headers (the central directory declares 4 KiB and the matching checksum, so Python's own `zipfile` is fooled
and reads 4 KiB of zeros). Both are refused by the service and by the upload view, naming the bound, and the
checks themselves stay within a few MiB of memory.
"""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from dossiers.models import Evidence
from dossiers.services import evidence as services
from portfolios import evidence_files
from tests import test_evidence
from tests.test_evidence import (
    CONTENT_TYPES,
    PACKAGE_RELS,
    WORD_DOCUMENT,
    docx_bytes,
    odt_bytes,
    plain_zip,
    stored,
    upload,
)

# The evidence tests' fixtures: files go to a temporary media root, messages are in English, an activity.
media = test_evidence.media
_english = test_evidence._english
activity = test_evidence.activity

pytestmark = pytest.mark.django_db

MiB = 1024 * 1024
BOMB_MIB = 200
LIE_BYTES = 4096


def _write_bomb(path: Path, *, mebibytes: int) -> Path:
    """A DOCX whose main document is `mebibytes` MiB of zeros, streamed into the archive 1 MiB at a time."""
    zeros = bytes(MiB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        with archive.open("word/document.xml", "w") as entry:
            for _ in range(mebibytes):
                entry.write(zeros)
    return path


def _lie_about(data: bytearray, name: str, *, size: int, crc: int) -> None:
    """Overwrite an entry's declared size and CRC-32 in its local header and in the central directory."""
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo(name)
        directory = archive.start_dir
    assert data[info.header_offset:info.header_offset + 4] == b"PK\x03\x04"
    struct.pack_into("<L", data, info.header_offset + 14, crc)
    struct.pack_into("<L", data, info.header_offset + 22, size)
    offset = directory
    while data[offset:offset + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<3H", data, offset + 28)
        if data[offset + 46:offset + 46 + name_length].decode() == name:
            struct.pack_into("<L", data, offset + 16, crc)
            struct.pack_into("<L", data, offset + 24, size)
            return
        offset += 46 + name_length + extra_length + comment_length
    raise AssertionError(f"{name} not found in the central directory")


@pytest.fixture(scope="session")
def zip_bomb(tmp_path_factory) -> Path:
    path = _write_bomb(tmp_path_factory.mktemp("bombs") / "bomb.docx", mebibytes=BOMB_MIB)
    assert path.stat().st_size < 300 * 1024  # about 200 KiB on the wire
    with zipfile.ZipFile(path) as archive:
        assert archive.getinfo("word/document.xml").file_size == BOMB_MIB * MiB  # honest about 200 MiB
    return path


@pytest.fixture(scope="session")
def lying_bomb(zip_bomb, tmp_path_factory) -> Path:
    data = bytearray(zip_bomb.read_bytes())
    _lie_about(data, "word/document.xml", size=LIE_BYTES, crc=zlib.crc32(bytes(LIE_BYTES)))
    path = tmp_path_factory.mktemp("bombs") / "lying.docx"
    path.write_bytes(bytes(data))
    with zipfile.ZipFile(path) as archive:  # Python's zipfile believes it: 4 KiB of zeros, checksum fine
        assert archive.getinfo("word/document.xml").file_size == LIE_BYTES
        assert archive.read("word/document.xml") == bytes(LIE_BYTES)
    return path


def attach(alice, org_a, activity, name: str, content: bytes) -> Evidence:
    return services.evidence_attach(by=alice, organisation=org_a, activity=activity,
                                    upload=SimpleUploadedFile(name, content))


def refusal(alice, org_a, activity, name: str, content: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        attach(alice, org_a, activity, name, content)
    return refused.value


# --- zip bombs ---------------------------------------------------------------------------------------------

def test_a_zip_bomb_docx_is_refused_through_the_upload_view(client, org_a, alice, activity, media, zip_bomb):
    client.force_login(alice)
    response = upload(client, org_a, activity, "bomb.docx", zip_bomb.read_bytes())
    assert response.status_code == 400
    assert response.content.decode() == (
        "“bomb.docx” expands to more than 50 MB when unpacked, the most a document may. Save it as PDF, or make "
        "it smaller, and try again.")
    assert not Evidence.objects.filter(organisation=org_a).exists()
    assert stored(media) == []


def test_a_zip_bomb_is_judged_without_unpacking_it(zip_bomb, lying_bomb):
    """Neither the honest nor the lying bomb costs more than a few MiB of memory to refuse."""
    for path, code in ((zip_bomb, "package_size"), (lying_bomb, "package_inconsistent")):
        with path.open("rb") as handle:
            tracemalloc.start()
            try:
                with pytest.raises(evidence_files.PackageRefused) as refused:
                    evidence_files.detect_content_type(handle)
                _current, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        assert refused.value.code == code
        assert peak < 4 * MiB, f"{path.name}: {peak} bytes"


def test_a_bomb_with_lying_headers_is_refused_as_it_streams(client, org_a, alice, activity, media, lying_bomb):
    client.force_login(alice)
    response = upload(client, org_a, activity, "lying.docx", lying_bomb.read_bytes())
    assert response.status_code == 400
    assert "“lying.docx” is damaged or disguised: what it contains does not match the sizes it declares" in (
        response.content.decode())
    assert stored(media) == []


def test_an_absurd_compression_ratio_is_refused_below_the_size_bound(org_a, alice, activity, tmp_path):
    # 20 MiB of zeros: within the 50 MB bound, but about 1000 to 1.
    content = _write_bomb(tmp_path / "ratio.docx", mebibytes=20).read_bytes()
    error = refusal(alice, org_a, activity, "ratio.docx", content)
    assert error.code == "package_ratio"
    assert error.messages == ["“ratio.docx” is compressed more than 100 to 1, which documents never are: it looks "
                              "like a “zip bomb” and is refused."]


def test_the_bounds_are_settings(org_a, alice, activity, settings):
    text = ("".join(f"<w:p><w:r><w:t>Paragraph {number} of a long statement.</w:t></w:r></w:p>"
                    for number in range(60_000))).encode()
    big = docx_bytes(extra={"word/long.xml": text})  # about 3 MiB unpacked, honest, ordinary ratio
    settings.EVIDENCE_MAX_UNCOMPRESSED_BYTES = 2 * MiB
    error = refusal(alice, org_a, activity, "long.docx", big)
    assert error.code == "package_size"
    assert "expands to more than 2 MB when unpacked" in error.messages[0]
    settings.EVIDENCE_MAX_UNCOMPRESSED_BYTES = 50 * MiB
    settings.EVIDENCE_MAX_COMPRESSION_RATIO = 5
    assert refusal(alice, org_a, activity, "long.docx", big).code == "package_ratio"
    settings.EVIDENCE_MAX_COMPRESSION_RATIO = 100
    settings.EVIDENCE_MAX_PACKAGE_ENTRIES = 3
    error = refusal(alice, org_a, activity, "long.docx", big)
    assert error.code == "package_entries"
    assert "contains more than 3 files inside" in error.messages[0]
    settings.EVIDENCE_MAX_PACKAGE_ENTRIES = 1000
    assert attach(alice, org_a, activity, "long.docx", big).content_type == evidence_files.DOCX


def test_too_many_entries_are_refused(org_a, alice, activity):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", WORD_DOCUMENT)
        for number in range(1_200):
            archive.writestr(f"word/media/{number}.png", b"")
    error = refusal(alice, org_a, activity, "many.docx", buffer.getvalue())
    assert error.code == "package_entries"
    assert "contains more than 1000 files inside" in error.messages[0]


# --- package structure -------------------------------------------------------------------------------------

def test_a_docx_without_content_types_is_refused(client, org_a, alice, activity, media):
    client.force_login(alice)
    response = upload(client, org_a, activity, "statement.docx", docx_bytes(content_types=None))
    assert response.status_code == 400
    assert response.content.decode() == (
        "“statement.docx” is a ZIP archive, not a Word (DOCX) or OpenDocument text (ODT) file: it has neither the "
        "“[Content_Types].xml” of a DOCX nor the “mimetype” of an ODT.")
    assert stored(media) == []
    assert refusal(alice, org_a, activity, "notes.docx", plain_zip()).code == "package_kind"


@pytest.mark.parametrize(("content_types", "document"), [
    # Declares nothing: the package has no WordprocessingML main document.
    ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>', True),
    # A spreadsheet's main part, dressed up as .docx.
    (CONTENT_TYPES.replace("wordprocessingml.document.main", "spreadsheetml.sheet.main"), True),
    # Declared, but the part itself is missing.
    (CONTENT_TYPES, False),
])
def test_a_docx_without_its_main_document_is_refused(org_a, alice, activity, content_types, document):
    error = refusal(alice, org_a, activity, "statement.docx", docx_bytes(content_types=content_types,
                                                                         document=document))
    assert error.code == "docx_main"
    assert error.messages == ["“statement.docx” is not a complete Word document: it declares no main document, or "
                              "the main document (word/document.xml) is missing. Save it again from your word "
                              "processor and try again."]


@pytest.mark.parametrize("content_types", [
    "not xml at all <",
    '<?xml version="1.0"?><Other xmlns="urn:x"/>',
    # Entities are refused outright (no "billion laughs" expansion while reading the part).
    '<?xml version="1.0"?><!DOCTYPE Types [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="b" '
    'ContentType="&b;"/></Types>',
])
def test_unreadable_content_types_are_refused(org_a, alice, activity, content_types):
    error = refusal(alice, org_a, activity, "statement.docx", docx_bytes(content_types=content_types))
    assert error.code == "docx_content_types"
    assert "its “[Content_Types].xml” cannot be read" in error.messages[0]


def test_macro_documents_are_refused(org_a, alice, activity):
    assert refusal(alice, org_a, activity, "macro.docx", docx_bytes(macro=True)).code == "docx_macros"
    docm = CONTENT_TYPES.replace("officedocument.wordprocessingml.document.main+xml",
                                 "ms-word.document.macroEnabled.main+xml").replace("openxmlformats-", "")
    error = refusal(alice, org_a, activity, "macro.docx", docx_bytes(content_types=docm))
    assert error.code == "docx_macros"
    assert error.messages == ["“macro.docx” contains macros (a .docm file renamed .docx). Save it as a plain Word "
                              "document or as PDF, and try again."]


@pytest.mark.parametrize("content", [
    odt_bytes("application/vnd.oasis.opendocument.spreadsheet"),
    odt_bytes("application/vnd.oasis.opendocument.text\n"),
    odt_bytes(mimetype_compressed=True),
    odt_bytes(mimetype_first=False),
])
def test_an_odt_with_a_wrong_mimetype_is_refused(client, org_a, alice, activity, media, content):
    client.force_login(alice)
    response = upload(client, org_a, activity, "statement.odt", content)
    assert response.status_code == 400
    assert response.content.decode() == (
        "“statement.odt” is not an OpenDocument text: its “mimetype” entry must come first, be stored uncompressed "
        "and say application/vnd.oasis.opendocument.text. Save it as ODT (or PDF) and try again.")
    assert stored(media) == []


@pytest.mark.parametrize("manifest", [
    None,
    "<broken",
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    "</manifest:manifest>",
])
def test_an_odt_without_a_proper_manifest_is_refused(org_a, alice, activity, manifest):
    error = refusal(alice, org_a, activity, "statement.odt", odt_bytes(manifest=manifest))
    assert error.code == "odt_manifest"
    assert "its “META-INF/manifest.xml” is missing or does not describe a text document" in error.messages[0]


def test_unusual_compression_is_refused(org_a, alice, activity):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", WORD_DOCUMENT)
    assert refusal(alice, org_a, activity, "statement.docx", buffer.getvalue()).code == "package_method"


def test_a_damaged_part_is_refused(org_a, alice, activity):
    data = bytearray(docx_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/document.xml")
    name_length, extra_length = struct.unpack_from("<2H", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    data[start + 5:start + 15] = b"\xff" * 10
    assert refusal(alice, org_a, activity, "statement.docx", bytes(data)).code == "package_inconsistent"


# --- what is still accepted ------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "detected"), [
    ("statement.docx", docx_bytes(), evidence_files.DOCX),
    # A document with a picture (stored, as Word stores PNGs) and an embedded spreadsheet (itself a package,
    # which is never unpacked: its compressed bytes count towards the bounds like any part).
    ("report.docx", docx_bytes(extra={"word/media/image1.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
                                      "word/embeddings/Sheet1.xlsx": plain_zip()}), evidence_files.DOCX),
    ("statement.odt", odt_bytes(), evidence_files.ODT),
])
def test_valid_documents_are_still_accepted(client, org_a, alice, activity, media, name, content, detected):
    client.force_login(alice)
    response = upload(client, org_a, activity, name, content)
    assert response.status_code == 200, response.content
    evidence = Evidence.objects.get(organisation=org_a, activity=activity)
    assert evidence.content_type == detected
    assert len(stored(media)) == 1


def test_messages_are_translated(org_a, alice, activity, zip_bomb):
    from django.utils import translation

    with translation.override("nl"):
        dutch = refusal(alice, org_a, activity, "bom.docx", zip_bomb.read_bytes()).messages[0]
    with translation.override("nb"):
        norwegian = refusal(alice, org_a, activity, "bombe.docx", zip_bomb.read_bytes()).messages[0]
    assert "50 MB" in dutch
    assert "expands" not in dutch
    assert "50 MB" in norwegian
    assert "expands" not in norwegian
