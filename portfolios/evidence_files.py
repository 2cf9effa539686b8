"""What an evidence file is, judged by its bytes: type sniffing, size limits and hashing.

Nothing here trusts the uploader: not the file name, not the browser's Content-Type. The type comes from
the content (magic bytes through `puremagic`; DOCX and ODT are ZIP containers, so their package structure
is checked and zip bombs refused, see "Office packages" below), the size from the bytes actually received,
and the SHA-256 is computed while the file is read in chunks. The limits are settings
(`EVIDENCE_MAX_FILE_BYTES`, `EVIDENCE_MAX_TOTAL_BYTES`, `EVIDENCE_MAX_UNCOMPRESSED_BYTES`,
`EVIDENCE_MAX_COMPRESSION_RATIO`, `EVIDENCE_MAX_PACKAGE_ENTRIES`) with defaults, so an operator can change
them without code.
"""

from __future__ import annotations

import hashlib
import posixpath
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any
from xml.parsers import expat

import puremagic
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

# zipfile's record layouts (sizeEndCentDir, structFileHeader, …) are undocumented, so typeshed leaves them out.
ZIP_LAYOUT: Any = zipfile
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_TOTAL_BYTES = 200 * 1024 * 1024
HEAD_BYTES = 8192
CHUNK_BYTES = 64 * 1024

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"

# Accepted content types, with the extensions a downloaded copy may carry (the first is the default).
ACCEPTED: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    DOCX: (".docx",),
    ODT: (".odt",),
}
# What the file picker offers; a hint for people, never a check.
ACCEPT_ATTRIBUTE = ",".join([*(ext for exts in ACCEPTED.values() for ext in exts), *ACCEPTED])
ZIP_MAGIC = b"PK\x03\x04"


def max_file_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES))


def max_total_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_TOTAL_BYTES", DEFAULT_MAX_TOTAL_BYTES))


def megabytes(size: int) -> Decimal:
    """Bytes as megabytes (MiB, as people read file sizes), one decimal: 10485760 → 10, 1572864 → 1.5."""
    return (Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Office packages (DOCX, ODT): structure and zip bombs ----------------------------------------------------
#
# A DOCX or ODT file is a ZIP archive, so a small upload can expand to gigabytes ("zip bomb"). The package is
# judged in two passes, neither of which ever holds more than one chunk of expanded bytes in memory:
#  1. the central directory's declared sizes: too many entries, too much in all, or an absurd compression ratio
#     is refused at once (the entry count from the end record, before Python parses the directory);
#  2. every entry is then inflated as a stream with a byte counter that stops at the size the entry declares,
#     and must end exactly there with the declared CRC-32: a package whose headers lie (small sizes declared,
#     gigabytes inside) is caught after reading at most what it declared. The parts the checks need
#     ([Content_Types].xml, mimetype, META-INF/manifest.xml) are parsed from that same stream, DTDs refused.
# Nested packages (a spreadsheet embedded in a Word document) are never unpacked; their compressed bytes count
# towards the bounds like any other part.

DEFAULT_MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_COMPRESSION_RATIO = 100
DEFAULT_MAX_PACKAGE_ENTRIES = 1000
# The ratio is judged on entries (and packages) larger than this: tiny parts compress absurdly well.
RATIO_FLOOR_BYTES = 1024 * 1024
# [Content_Types].xml and META-INF/manifest.xml are a few KiB in real documents.
MAX_XML_PART_BYTES = 1024 * 1024

WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroenabled.main+xml"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"


class PackageRefused(Exception):
    """A DOCX/ODT package that is refused: `code` says why, `params` hold the bound that was passed.

    Codes: package_entries, package_size, package_ratio (bounds); package_inconsistent (damaged, or headers that
    lie); package_method (encrypted or unusual compression); package_kind (a ZIP that is neither DOCX nor ODT);
    docx_content_types, docx_main, docx_macros; odt_mimetype, odt_manifest. The service words them.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def max_uncompressed_bytes() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED_BYTES))


def max_compression_ratio() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_COMPRESSION_RATIO", DEFAULT_MAX_COMPRESSION_RATIO))


def max_package_entries() -> int:
    return int(getattr(settings, "EVIDENCE_MAX_PACKAGE_ENTRIES", DEFAULT_MAX_PACKAGE_ENTRIES))


def _declared_entry_count(file: IO[bytes]) -> int | None:
    """The entry count the end-of-central-directory record declares (None: no record, or ZIP64)."""
    file.seek(0, 2)
    size = file.tell()
    tail_size = min(size, ZIP_LAYOUT.sizeEndCentDir + 65535)  # the record, plus a comment of at most 64 KiB
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    position = tail.rfind(ZIP_LAYOUT.stringEndArchive)
    if position < 0 or len(tail) - position < ZIP_LAYOUT.sizeEndCentDir:
        return None
    record = struct.unpack(ZIP_LAYOUT.structEndArchive, tail[position:position + ZIP_LAYOUT.sizeEndCentDir])
    total = record[4]
    return None if total == 0xFFFF else total


def _check_declared_sizes(infos: list[zipfile.ZipInfo]) -> None:
    limit, ratio = max_uncompressed_bytes(), max_compression_ratio()
    total = sum(info.file_size for info in infos)
    if total > limit:
        raise PackageRefused("package_size", limit=limit)
    compressed = sum(info.compress_size for info in infos)
    for size, packed in [*((info.file_size, info.compress_size) for info in infos), (total, compressed)]:
        if size > RATIO_FLOOR_BYTES and size > ratio * max(packed, 1):
            raise PackageRefused("package_ratio", ratio=ratio)


def _check_layout(file: IO[bytes], infos: list[zipfile.ZipInfo], directory_offset: int) -> dict[str, int]:
    """Where each entry's data starts, checking that no two entries share bytes (overlapping entries are how
    some zip bombs multiply one compressed block) and that nothing is encrypted or oddly compressed."""
    starts: dict[str, int] = {}
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for index, info in enumerate(ordered):
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise PackageRefused("package_method")
        file.seek(info.header_offset)
        header = file.read(ZIP_LAYOUT.sizeFileHeader)
        if len(header) != ZIP_LAYOUT.sizeFileHeader or not header.startswith(ZIP_LAYOUT.stringFileHeader):
            raise PackageRefused("package_inconsistent")
        fields = struct.unpack(ZIP_LAYOUT.structFileHeader, header)
        start = info.header_offset + ZIP_LAYOUT.sizeFileHeader + fields[10] + fields[11]  # name, extra lengths
        following = ordered[index + 1].header_offset if index + 1 < len(ordered) else directory_offset
        if start + info.compress_size > following:
            raise PackageRefused("package_inconsistent")
        starts[info.filename] = start
    return starts


def _inflate(file: IO[bytes], info: zipfile.ZipInfo, start: int) -> Iterator[bytes]:
    """The entry's bytes as they expand, at most CHUNK_BYTES at a time and never past its declared size.

    Refuses (package_inconsistent) an entry that holds more than it declares, ends early, or fails its CRC-32.
    """
    file.seek(start)
    left, produced, crc = info.compress_size, 0, 0

    def read() -> bytes:
        nonlocal left
        data = file.read(min(CHUNK_BYTES, left))
        if not data:
            raise PackageRefused("package_inconsistent")  # the archive ends inside the entry
        left -= len(data)
        return data

    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise PackageRefused("package_inconsistent")
        while left:
            out = read()
            produced += len(out)
            crc = zlib.crc32(out, crc)
            yield out
    else:
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        pending = b""
        while not inflater.eof:
            if not pending and left:
                pending = read()
            try:
                # One byte more than the entry may still hold, so a lie shows without inflating further.
                out = inflater.decompress(pending, min(CHUNK_BYTES, info.file_size - produced + 1))
            except zlib.error as error:
                raise PackageRefused("package_inconsistent") from error
            pending = inflater.unconsumed_tail
            if not out and not pending and not left and not inflater.eof:
                raise PackageRefused("package_inconsistent")  # the deflate stream does not end where declared
            produced += len(out)
            if produced > info.file_size:
                raise PackageRefused("package_inconsistent")  # more inside than the headers say: they lie
            crc = zlib.crc32(out, crc)
            yield out
    if produced != info.file_size or crc != info.CRC:
        raise PackageRefused("package_inconsistent")


class _XmlPart:
    """Parses one small XML part while it streams in: element names (with namespaces) and attributes.

    No DTD is accepted, so no entity can expand ("billion laughs"); the part's size is bounded by the caller.
    """

    def __init__(self, refusal: str) -> None:
        self.refusal = refusal
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartElementHandler = lambda name, attributes: self.elements.append((name, attributes))
        self._parser.StartDoctypeDeclHandler = self._refuse_dtd
        self._parser.EntityDeclHandler = self._refuse_dtd

    def _refuse_dtd(self, *args: Any) -> None:
        raise PackageRefused(self.refusal)

    def feed(self, data: bytes, final: bool = False) -> None:
        try:
            self._parser.Parse(data, final)
        except expat.ExpatError as error:
            raise PackageRefused(self.refusal) from error


def _docx_main_declared(types: _XmlPart, names: dict[str, str]) -> str:
    """DOCX, or a refusal: the content types must declare a WordprocessingML main document that is present."""
    if not types.elements or types.elements[0][0] != f"{CONTENT_TYPES_NS} Types":
        raise PackageRefused("docx_content_types")
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}
    for element, attributes in types.elements[1:]:
        kind = attributes.get("ContentType", "").strip().lower()
        if element == f"{CONTENT_TYPES_NS} Default":
            defaults[attributes.get("Extension", "").lower()] = kind
        elif element == f"{CONTENT_TYPES_NS} Override":
            overrides[attributes.get("PartName", "").lstrip("/").lower()] = kind
    declared = set(overrides.values()) | set(defaults.values())
    if WORD_MACRO_MAIN in declared:
        raise PackageRefused("docx_macros")
    main_parts = [part for part, kind in overrides.items() if kind == WORD_MAIN]
    if defaults.get("xml") == WORD_MAIN and "word/document.xml" not in overrides:
        main_parts.append("word/document.xml")
    if not any(part in names for part in main_parts):
        raise PackageRefused("docx_main")
    return DOCX


def _odt_checked(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], manifest: _XmlPart | None) -> str:
    first = infos[0]
    if (first.filename != "mimetype" or first.header_offset != 0 or first.compress_type != zipfile.ZIP_STORED
            or first.file_size != len(ODT)):
        raise PackageRefused("odt_mimetype")
    if manifest is None or not manifest.elements or manifest.elements[0][0] != f"{MANIFEST_NS} manifest":
        raise PackageRefused("odt_manifest")
    root_types = [attributes.get(f"{MANIFEST_NS} media-type", "") for element, attributes in manifest.elements
                  if element == f"{MANIFEST_NS} file-entry" and attributes.get(f"{MANIFEST_NS} full-path") == "/"]
    if root_types != [ODT]:
        raise PackageRefused("odt_manifest")
    return ODT


def inspect_package(file: IO[bytes]) -> str:
    """DOCX or ODT for a ZIP container that is one (see the comment above); PackageRefused otherwise."""
    count = _declared_entry_count(file)
    if count is not None and count > max_package_entries():
        raise PackageRefused("package_entries", limit=max_package_entries())
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            infos = archive.infolist()
            if not infos or len(infos) > max_package_entries():
                raise PackageRefused("package_entries" if infos else "package_kind", limit=max_package_entries())
            _check_declared_sizes(infos)
            names = {info.filename.lower(): info.filename for info in infos}
            is_odt = "mimetype" in names
            if not is_odt and "[content_types].xml" not in names:
                raise PackageRefused("package_kind")
            if not is_odt and any(name.endswith("vbaproject.bin") for name in names):
                raise PackageRefused("docx_macros")
            starts = _check_layout(file, infos, archive.start_dir)
            parts: dict[str, _XmlPart] = {}
            mimetype = b""
            for info in infos:
                key = info.filename.lower()
                part = None
                if key in ("[content_types].xml", "meta-inf/manifest.xml"):
                    refusal = "docx_content_types" if key.startswith("[") else "odt_manifest"
                    if info.file_size > MAX_XML_PART_BYTES:
                        raise PackageRefused(refusal)
                    part = parts[key] = _XmlPart(refusal)
                for chunk in _inflate(file, info, starts[info.filename]):
                    if part is not None:
                        part.feed(chunk)
                    elif key == "mimetype" and len(mimetype) <= len(ODT):
                        mimetype += chunk[:len(ODT) + 1]
                if part is not None:
                    part.feed(b"", final=True)
            if is_odt:
                if mimetype != ODT.encode():
                    raise PackageRefused("odt_mimetype")
                return _odt_checked(archive, infos, parts.get("meta-inf/manifest.xml"))
            return _docx_main_declared(parts["[content_types].xml"], names)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, struct.error, ValueError,
            OSError) as error:
        raise PackageRefused("package_inconsistent") from error
    finally:
        file.seek(0)


def detect_content_type(file: IO[bytes]) -> str | None:
    """The accepted content type of `file` judged by its bytes, or None when it is not one we accept.

    Only the best-scoring `puremagic` matches count, so an executable or an HTML page never passes for a
    PDF whatever it is called. A ZIP container is inspected as a DOCX/ODT package and raises PackageRefused
    when it is not a sound one. The file is left at position 0.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head:
        return None
    if head.startswith(ZIP_MAGIC):
        return inspect_package(file)
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = max(match.confidence for match in matches)
    top = [match for match in matches if match.confidence == best and match.offset == 0]
    for match in top:
        if match.mime_type in (PDF, PNG, JPEG):
            return match.mime_type
    return None


def hash_and_size(file: Any) -> tuple[str, int]:
    """SHA-256 (hex) and size of a Django File, read in chunks; the file is left at position 0."""
    digest = hashlib.sha256()
    size = 0
    file.seek(0)
    for chunk in file.chunks(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
    file.seek(0)
    return digest.hexdigest(), size


def clean_file_name(name: str | None, fallback: str = "evidence") -> str:
    """The uploader's file name, fit for display and a Content-Disposition header (never for storage)."""
    base = posixpath.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".") or fallback
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: 200 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else base[:200]
    return base


def download_name(original: str, content_type: str) -> str:
    """The name a downloaded copy gets: the original, with the extension of its real type if it lacks one."""
    extensions = ACCEPTED.get(content_type, ())
    if not extensions or original.lower().endswith(extensions):
        return original
    return original + extensions[0]


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops receiving a file as soon as it passes the per-file limit.

    Installed first in `request.upload_handlers` by the upload view, so an oversize file is cut off while
    it streams in instead of being spooled whole to a temporary file. The view reads `too_large` to say
    which files were refused.
    """

    def __init__(self, request: Any = None, limit: int | None = None) -> None:
        super().__init__(request)
        self.limit = max_file_bytes() if limit is None else limit
        self.received = 0
        self.too_large: list[tuple[str, int]] = []

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large.append((clean_file_name(self.file_name), self.received))
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
