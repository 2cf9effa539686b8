"""Stored files (evidence, submission PDFs, logos): never orphaned, never lost, on disk or in object storage.

Three parts:

1. **Storages that know about transactions.** `FileSystemStorage` and `S3Storage` (django-storages) note each
   file they write while a transaction is open. The outermost transaction of a request, task or command is
   opened by `accounts.tenancy.tenant_context` / `maintenance()`, which wrap it in `stored_files_guard()`: a
   file written inside it whose transaction does not commit (an error later in the request, a rolled-back
   savepoint) is deleted as soon as the transaction ends — after checking in the database that no row
   references it, so a committed file is never removed whatever happened to the commit hooks.
2. **The sweeper** (`stored_files_sweep`, beat's daily `stored_files_sweep_task`, `manage.py
   sweep_orphan_files --dry-run`): what the guard could not remove (a crash between storing and rolling back,
   a replaced logo, a deletion whose storage call failed) is deleted once it is older than the grace period
   (`STORED_FILES_GRACE_HOURS`, a day) and no FileField of any model references it. It finds the FileFields
   in the model registry and checks references across organisations inside `maintenance()`.
3. **Streamed reads.** django-storages' `S3File` downloads an object whole (into memory by default) before the
   first byte can be read; `open_stream` reads it from the network as it is consumed, so downloads, the
   submission re-hash and the personal-data archive stream on S3 as they do from disk.

The media storage must be dedicated to this application (a directory or a bucket/prefix of its own): the
sweeper treats every file in it that no row references, and that is older than the grace period, as an orphan.
Objects in S3 are written without an ACL (private, as the bucket is), typed `application/octet-stream` as
attachments whatever the uploader claimed, and never linked: every download goes through a permission-checked
view that streams the bytes.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage as DjangoFileSystemStorage
from django.core.files.storage import Storage
from django.db import connection, models, transaction
from django.http import FileResponse
from django.utils import timezone
from storages.backends.s3 import S3Storage as BaseS3Storage
from storages.utils import clean_name

logger = logging.getLogger(__name__)

DEFAULT_GRACE_HOURS = 24
REFERENCE_BATCH = 500

# (storage, name) of files written in the current outermost transaction and not yet known to be committed.
_pending: contextvars.ContextVar[list[tuple[Storage, str]] | None] = contextvars.ContextVar(
    "stored_files_pending", default=None)


# --- 1. files written in a transaction that does not commit --------------------------------------------------

def stored_file_written(storage: Storage, name: str) -> None:
    """Note a file just written: it stays only if the transaction it was written in commits."""
    pending = _pending.get()
    if pending is None or not connection.in_atomic_block:
        return  # no transaction to wait for, or no guard around it (the sweeper is the backstop)
    entry = (storage, name)
    pending.append(entry)

    def committed() -> None:
        if entry in pending:
            pending.remove(entry)

    transaction.on_commit(committed, robust=True)


@contextlib.contextmanager
def stored_files_guard() -> Iterator[None]:
    """Wrap an outermost transaction: files written inside it that no row references afterwards are deleted.

    A no-op inside a transaction that is already open (only the outermost one knows whether it committed).
    """
    if _pending.get() is not None or connection.in_atomic_block:
        yield
        return
    pending: list[tuple[Storage, str]] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        if pending:
            _remove_unreferenced(pending)


def _remove_unreferenced(entries: list[tuple[Storage, str]]) -> None:
    """Delete files a transaction wrote but did not keep; on any trouble leave them to the sweeper."""
    from accounts.tenancy import maintenance

    try:
        with maintenance():
            referenced = referenced_names({name for _storage, name in entries})
    except Exception:
        logger.exception("Could not check %d stored file(s) after a rollback; the sweeper will", len(entries))
        return
    for storage, name in entries:
        if name in referenced:
            continue
        try:
            storage.delete(name)
            logger.info("Removed %s: its transaction did not commit", name)
        except Exception:
            logger.warning("Could not remove %s after a rollback; the sweeper will", name, exc_info=True)


class TransactionAwareStorageMixin:
    """Reports every file it writes to `stored_file_written` (see the module docstring)."""

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        saved = super().save(name, content, max_length=max_length)  # type: ignore[misc]
        stored_file_written(self, saved)  # type: ignore[arg-type]
        return saved


class FileSystemStorage(TransactionAwareStorageMixin, DjangoFileSystemStorage):
    """Django's file system storage whose files do not outlive a rolled-back transaction."""


# --- 3. streamed reads --------------------------------------------------------------------------------------

class StreamedObject(io.RawIOBase):
    """An object read from the network as it is consumed; `size` from the response (for Content-Length).

    Read errors come out as OSError, the type callers already handle for a file that cannot be read.
    """

    def __init__(self, body: Any, size: int) -> None:
        super().__init__()
        self._body = body
        self.size = size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._body.read(len(buffer))
        except BotoCoreError as error:
            raise OSError(f"Reading the stored object failed: {error}") from error
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3Storage(TransactionAwareStorageMixin, BaseS3Storage):
    """S3-compatible object storage (django-storages), private and streamed; see the module docstring."""

    def get_object_parameters(self, name: str) -> dict[str, Any]:
        # Never the uploader's Content-Type: nothing in the bucket renders in a browser, whoever fetches it.
        return {**super().get_object_parameters(name), "ContentType": "application/octet-stream",
                "ContentDisposition": "attachment"}

    def open_stream(self, name: str) -> StreamedObject:
        key = self._normalize_name(clean_name(name))
        try:
            response = self.connection.meta.client.get_object(Bucket=self.bucket_name, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                raise FileNotFoundError(name) from error
            raise OSError(f"{name}: {error}") from error
        except BotoCoreError as error:
            raise OSError(f"{name}: {error}") from error
        return StreamedObject(response["Body"], int(response["ContentLength"]))

    def stored_files(self) -> Iterator[StoredFile]:
        """Every object under the storage's location, with its time and size, 1,000 per request."""
        prefix = self._normalize_name(clean_name(""))
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        paginator = self.connection.meta.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix):
            for entry in page.get("Contents", ()):
                name = entry["Key"][len(prefix):]
                if name and not name.endswith("/"):
                    yield StoredFile(name=name, size=int(entry["Size"]), modified=entry["LastModified"])


def open_stream(storage: Storage, name: str) -> IO[bytes]:
    """Open a stored file for reading from the start in chunks, without fetching it whole first."""
    opener = getattr(storage, "open_stream", None)
    return opener(name) if opener is not None else storage.open(name, "rb")


def stored_file_response(file: Any, *, filename: str, content_type: str) -> FileResponse:
    """A streamed attachment response for a FieldFile (FileNotFoundError when it is not in storage)."""
    handle = open_stream(file.storage, file.name)
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    size = getattr(handle, "size", None)
    if isinstance(size, int) and "Content-Length" not in response:
        response["Content-Length"] = str(size)
    return response


# --- 2. the sweeper ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StoredFile:
    name: str
    size: int | None
    modified: dt.datetime | None


@dataclass
class SweepResult:
    dry_run: bool
    grace: dt.timedelta
    scanned: int = 0
    referenced: int = 0
    recent: int = 0
    orphans: list[StoredFile] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "grace_hours": self.grace.total_seconds() / 3600, "scanned": self.scanned,
                "referenced": self.referenced, "recent": self.recent, "orphans": len(self.orphans),
                "failed": len(self.failed)}


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every FileField (ImageField included) of every installed model, from the model registry."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or model._meta.swapped:
            continue
        found += [(model, item) for item in model._meta.concrete_fields if isinstance(item, models.FileField)]
    return found


def referenced_names(names: Iterable[str]) -> set[str]:
    """Which of `names` some row's FileField holds. Runs inside `maintenance()` (every organisation's rows)."""
    wanted = sorted(set(names))
    found: set[str] = set()
    for model, file_field in file_fields():
        for start in range(0, len(wanted), REFERENCE_BATCH):
            batch = wanted[start:start + REFERENCE_BATCH]
            found.update(model._default_manager.filter(**{f"{file_field.attname}__in": batch})
                         .values_list(file_field.attname, flat=True))
    return found


def _storages() -> list[Storage]:
    distinct: dict[int, Storage] = {}
    for _model, file_field in file_fields():
        distinct.setdefault(id(file_field.storage), file_field.storage)
    return list(distinct.values())


def stored_files_in(storage: Storage) -> Iterator[StoredFile]:
    """Every file in a storage: its own listing when it has one (S3: one request per 1,000), else a walk."""
    lister = getattr(storage, "stored_files", None)
    if lister is not None:
        yield from lister()
        return
    directories = [""]
    while directories:
        directory = directories.pop()
        try:
            subdirectories, files = storage.listdir(directory)
        except FileNotFoundError:  # no upload yet (the media root is made on the first), or removed meanwhile
            continue
        directories += [f"{directory}/{sub}" if directory else sub for sub in subdirectories]
        for file_name in files:
            name = f"{directory}/{file_name}" if directory else file_name
            try:
                modified, size = storage.get_modified_time(name), storage.size(name)
            except (NotImplementedError, OSError):
                modified, size = None, None
            yield StoredFile(name=name, size=size, modified=modified)


def grace_period() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "STORED_FILES_GRACE_HOURS", DEFAULT_GRACE_HOURS)))


def stored_files_sweep(*, dry_run: bool = False, grace: dt.timedelta | None = None,
                       now: dt.datetime | None = None) -> SweepResult:
    """Delete (dry_run: only list) stored files no row references that are older than the grace period.

    Idempotent and safe to run at any time: a file younger than the grace period (an upload in flight) or of
    unknown age is kept, and references are checked, in batches, right before each batch is deleted.
    """
    from accounts.tenancy import maintenance

    result = SweepResult(dry_run=dry_run, grace=grace_period() if grace is None else grace)
    cutoff = (now or timezone.now()) - result.grace
    for storage in _storages():
        batch: list[StoredFile] = []
        for stored in stored_files_in(storage):
            result.scanned += 1
            if stored.modified is None or stored.modified > cutoff:
                result.recent += 1
                continue
            batch.append(stored)
            if len(batch) >= REFERENCE_BATCH:
                _sweep_batch(storage, batch, result, maintenance)
                batch = []
        if batch:
            _sweep_batch(storage, batch, result, maintenance)
    logger.info("Stored-file sweep%s: %s", " (dry run)" if dry_run else "", result.summary())
    return result


def _sweep_batch(storage: Storage, batch: list[StoredFile], result: SweepResult, maintenance: Any) -> None:
    with maintenance():
        referenced = referenced_names(stored.name for stored in batch)
    for stored in batch:
        if stored.name in referenced:
            result.referenced += 1
            continue
        result.orphans.append(stored)
        if result.dry_run:
            continue
        try:
            storage.delete(stored.name)
            logger.info("Swept %s: no row references it", stored.name)
        except Exception:
            logger.warning("Could not delete %s", stored.name, exc_info=True)
            result.failed.append(stored.name)


def stored_files_delete_on_commit(names: Iterable[str | None]) -> None:
    """Remove stored files (of the default storage: evidence, PDFs) once the rows pointing at them are gone for
    good (after the commit)."""
    kept = [name for name in names if name]
    if not kept:
        return

    from django.core.files.storage import default_storage as storage

    def remove() -> None:
        for name in kept:
            storage.delete(name)

    transaction.on_commit(remove)
