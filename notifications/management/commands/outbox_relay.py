from django.core.management.base import BaseCommand

from notifications.tasks import outbox_relay


class Command(BaseCommand):
    help = "Publish outbox messages the broker missed (what beat's outbox-relay task does every 30 s)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"Published {outbox_relay()} messages.")
