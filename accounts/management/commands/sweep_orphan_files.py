import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.storage import grace_period, stored_files_sweep


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    return f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MiB"


class Command(BaseCommand):
    help = ("Delete stored files that no row references and that are older than the grace period "
            "(STORED_FILES_GRACE_HOURS, default 24): what beat's stored-files-sweep task does daily. "
            "--dry-run lists them and deletes nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would be deleted; delete nothing.")
        parser.add_argument("--grace-hours", type=float, default=None,
                            help="Keep files younger than this many hours (at least 1; default: the setting).")

    def handle(self, *args: Any, **options: Any) -> None:
        grace = grace_period()
        if options["grace_hours"] is not None:
            if options["grace_hours"] < 1:
                raise CommandError("--grace-hours must be at least 1: younger files may be uploads in flight.")
            grace = dt.timedelta(hours=options["grace_hours"])
        dry_run = options["dry_run"]
        result = stored_files_sweep(dry_run=dry_run, grace=grace)
        hours = f"{grace.total_seconds() / 3600:g} hours"
        verb = "Would delete" if dry_run else "Deleted"
        for stored in result.orphans:
            when = timezone.localtime(stored.modified).strftime("%Y-%m-%d %H:%M") if stored.modified else "?"
            failed = "  (FAILED)" if stored.name in result.failed else ""
            self.stdout.write(f"{verb} {stored.name}  {_size(stored.size)}  last changed {when}{failed}")
        self.stdout.write(
            f"{verb} {len(result.orphans) - len(result.failed)} unreferenced file(s) older than {hours}. "
            f"Scanned {result.scanned}: {result.referenced} referenced, {result.recent} younger than {hours} "
            f"(kept){f', {len(result.failed)} could not be deleted' if result.failed else ''}.")
        if result.failed:
            raise CommandError(f"{len(result.failed)} file(s) could not be deleted; see the log.")
