"""The ``careloop`` console command: Django's management commands under one name.

``careloop demo``, ``careloop score PHQ-9 …``, ``careloop audit verify`` and the rest are
management commands; hyphenated names (``rotate-keys``) map to their module names.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1:
        args[1] = args[1].replace("-", "_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
