"""What an evidence file is, judged by its bytes: type sniffing, size limits and hashing.

Nothing here trusts the uploader: not the file name, not the browser's Content-Type. The type comes from
the content (magic bytes through `puremagic`; DOCX and ODT are ZIP containers, so they are opened and
their manifest checked), the size from the bytes actually received, and the SHA-256 is computed while the
file is read in chunks. The limits are settings (`EVIDENCE_MAX_FILE_BYTES`, `EVIDENCE_MAX_TOTAL_BYTES`)
with defaults, so an operator can change them without code.
"""

from __future__ import annotations

import hashlib
import posixpath
import unicodedata
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

import puremagic
from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

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


def _zip_document_type(file: IO[bytes]) -> str | None:
    """DOCX or ODT by the container's contents, or None for any other (or broken) ZIP file.

    DOCX: `[Content_Types].xml` and a `word/` part, and no macro project (a .docm renamed .docx is refused).
    ODT: the `mimetype` entry says application/vnd.oasis.opendocument.text.
    """
    try:
        file.seek(0)
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    if entry.read(len(ODT) + 1).strip() == ODT.encode():
                        return ODT
                return None
            if "[Content_Types].xml" in names and any(name.startswith("word/") for name in names):
                if any(name.lower().endswith("vbaproject.bin") for name in names):
                    return None
                return DOCX
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return None
    finally:
        file.seek(0)
    return None


def detect_content_type(file: IO[bytes]) -> str | None:
    """The accepted content type of `file` judged by its bytes, or None when it is not one we accept.

    Only the best-scoring `puremagic` matches count, so an executable or an HTML page never passes for a
    PDF whatever it is called. The file is left at position 0.
    """
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head:
        return None
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = max(match.confidence for match in matches)
    top = [match for match in matches if match.confidence == best and match.offset == 0]
    if head.startswith(ZIP_MAGIC) and any(match.byte_match.startswith(ZIP_MAGIC) for match in top):
        return _zip_document_type(file)
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
