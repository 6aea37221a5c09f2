"""Principle 5: the pipeline package never imports Django, directly or through anything it imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import careloop.pipeline

PACKAGE = Path(careloop.pipeline.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return names


def test_no_module_of_the_pipeline_names_django_or_another_careloop_app() -> None:
    for path in PACKAGE.rglob("*.py"):
        for name in imported_modules(path):
            assert not name.startswith("django"), f"{path.name} imports {name}"
            if name.startswith("careloop."):
                assert name.startswith("careloop.pipeline"), f"{path.name} imports {name}"


def test_importing_every_pipeline_module_loads_no_django() -> None:
    modules = sorted(f"careloop.pipeline.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__")
    program = "import sys\n" + "".join(f"import {name}\n" for name in modules)
    program += "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))\n"
    result = subprocess.run(  # noqa: S603 - runs this interpreter on a fixed program
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=PACKAGE.parents[1]
    )
    assert result.stdout.strip() == "[]"
