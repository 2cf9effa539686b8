"""Evaluate a portfolio given as JSON against a scheme and print the engine's report as JSON.

    python manage.py evaluate_portfolio --input portfolio.json
    python manage.py evaluate_portfolio --input - --organisation noloc < portfolio.json

Without --organisation the shipped definition named by the input's "scheme" is used; with it, that
organisation's version in force today. A broken rule makes the command exit 1 naming the activity.
"""

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organisation
from accounts.tenancy import tenant_context
from schemes.models import SchemeVersion
from schemes.rules import PayloadError, evaluate_payload


class Command(BaseCommand):
    help = "Evaluate a portfolio (JSON input) against a scheme; print the report as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, help="JSON file to read, or - for standard input.")
        parser.add_argument("--organisation", help="Use this organisation's current version of the scheme.")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["input"]
        try:
            text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot read {source}: {error.strerror}.") from error
        try:
            payload = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"The input is not valid JSON: {error.msg} (line {error.lineno}, "
                               f"column {error.colno}).") from error
        definition = None
        if options["organisation"]:
            definition = self._organisation_definition(options["organisation"], payload)
        try:
            report = evaluate_payload(payload, definition)
        except PayloadError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))

    def _organisation_definition(self, slug: str, payload: Any) -> Any:
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            raise CommandError(f"There is no organisation {slug!r}.")
        code = payload.get("scheme") if isinstance(payload, dict) else None
        with tenant_context(organisation):
            version = SchemeVersion.objects.for_organisation(organisation).current(str(code))
        if version is None:
            raise CommandError(f"{organisation.name} has no version of the scheme {code!r} in force today.")
        return version.rules
