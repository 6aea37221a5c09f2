"""The hazard log is proven by tests: every control names tests, and every test it names exists.

Test ids are pytest node ids (``path::function`` or ``path::Class::function``, an optional
``[parameter]`` suffix). Existence is checked by parsing the test file with ``ast``, so the check is
fast and runs on every suite; ``pytest --collect-only`` would give the same answer, slower.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
HAZARD_LOG = REPO / "docs" / "safety" / "hazard-log.yaml"
NODE_ID = re.compile(r"^(?P<path>tests/[\w/]+\.py)::(?P<names>[\w:]+?)(\[[^\]]*\])?$")


def hazards() -> list[dict[str, object]]:
    loaded = yaml.safe_load(HAZARD_LOG.read_text(encoding="utf-8"))
    return list(loaded["hazards"])


@functools.cache
def defined_tests(path: str) -> frozenset[str]:
    """'function' and 'Class::function' for every test defined in the file."""
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            names |= {f"{node.name}::{f.name}" for f in node.body if isinstance(f, ast.FunctionDef)}
    return frozenset(names)


def missing(node_id: str) -> str | None:
    found = NODE_ID.match(node_id)
    if found is None:
        return f"{node_id!r} is not a pytest node id"
    if not (REPO / found["path"]).is_file():
        return f"{node_id}: no file {found['path']}"
    if found["names"] not in defined_tests(found["path"]):
        return f"{node_id}: no such test in {found['path']}"
    return None


def controls() -> list[dict[str, object]]:
    return [control for hazard in hazards() for control in hazard["controls"]]  # type: ignore[attr-defined]


def test_every_control_names_at_least_one_test() -> None:
    assert [c["id"] for c in controls() if not c.get("tests")] == []


def test_every_named_test_exists() -> None:
    problems = [p for c in controls() for node in c["tests"] if (p := missing(str(node)))]  # type: ignore[attr-defined]
    assert problems == []


def test_the_check_itself_catches_a_missing_test() -> None:
    assert missing("tests/safety/test_rules.py::test_that_was_never_written") is not None
    assert missing("tests/safety/no_such_file.py::test_x") is not None
    assert missing("tests/safety/test_rules.py::test_cssrs_triage_gives_one_level_per_answer[x]") is None


def test_alert_not_delivered_is_a_catastrophic_hazard() -> None:
    first = hazards()[0]
    assert (first["title"], first["severity"]) == ("A risk alert is not delivered or not seen", "Catastrophic")


def test_hazard_and_control_ids_are_unique() -> None:
    ids = [str(h["id"]) for h in hazards()] + [str(c["id"]) for c in controls()]
    assert len(ids) == len(set(ids))
