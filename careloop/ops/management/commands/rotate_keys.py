"""``careloop rotate-keys``: re-encrypt every encrypted value under the newest key."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand

from careloop.ops.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted field value still under an older key with the current key."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        for table_column, count in rotate_all(options["batch_size"]).items():
            self.stdout.write(f"{table_column}: {count} value(s) re-encrypted")
