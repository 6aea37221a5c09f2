"""``careloop audit verify`` and ``careloop audit export``."""

from __future__ import annotations

import argparse
import uuid
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.audit.chain import verify_chain
from careloop.audit.export import AuditFilter, write_json_lines


class Command(BaseCommand):
    help = "Verify the audit hash chain, or export audit rows as JSON lines."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="walk the chain and report any edited, inserted or deleted row")
        export = sub.add_parser("export", help="write rows as JSON lines to standard output")
        export.add_argument("--patient", type=uuid.UUID)
        export.add_argument("--user", type=int, help="actor user id")
        export.add_argument("--since", type=date.fromisoformat, help="YYYY-MM-DD, inclusive")
        export.add_argument("--until", type=date.fromisoformat, help="YYYY-MM-DD, inclusive")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self._verify()
        else:
            audit_filter = AuditFilter(options["patient"], options["user"], options["since"], options["until"])
            write_json_lines(audit_filter.queryset().iterator(chunk_size=2000), self.stdout)

    def _verify(self) -> None:
        problems = verify_chain()
        for problem in problems:
            self.stderr.write(f"row {problem.seq}: {problem.problem}")
        if problems:
            raise CommandError(f"audit chain is broken: {len(problems)} problem(s)", returncode=1)
        self.stdout.write("audit chain intact")
