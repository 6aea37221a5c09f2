"""`careloop outcome --pre PHQ-9=15 --post PHQ-9=5 --pre GAD-7=12 --post GAD-7=4`: classify an episode.

Prints one JSON object with every NHS Talking Therapies flag (caseness at start, recovered, reliable
improvement, reliable deterioration, reliable recovery, no reliable change), the per-measure changes and
a safety-first summary label. `--problem` takes the ICD-10 problem descriptor that picks the anxiety
measure; `--sd NAME=SD --reliability NAME=R` adds the Jacobson–Truax index for that measure. The exit
status is 0 for valid input and 2 otherwise; the JSON goes to stdout either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.management.base import CommandParser

from careloop.measures.management.commands.score import JsonOutputCommand
from careloop.measures.outcomes import JacobsonTruax, OutcomeInputError, episode_outcome, parse_decimal


def parsed_assignments(option: str, assignments: Sequence[str], errors: list[str]) -> dict[str, str]:
    """'PHQ-9=15' -> {'PHQ-9': '15'}; a repeated name is an error, not a silent overwrite."""
    parsed: dict[str, str] = {}
    for assignment in assignments:
        name, equals, value = assignment.rpartition("=")
        if not equals or not name.strip() or not value.strip():
            errors.append(f"--{option} {assignment!r}: expected MEASURE=VALUE")
        elif name.strip() in parsed:
            errors.append(f"--{option}: {name.strip()} given twice")
        else:
            parsed[name.strip()] = value.strip()
    return parsed


def jacobson_truax_parameters(
    sds: Mapping[str, str], reliabilities: Mapping[str, str], errors: list[str]
) -> dict[str, JacobsonTruax]:
    parameters: dict[str, JacobsonTruax] = {}
    for name in sorted(set(sds) | set(reliabilities)):
        sd, reliability = parse_decimal(sds.get(name)), parse_decimal(reliabilities.get(name))
        if sd is None or reliability is None:
            errors.append(f"{name}: Jacobson–Truax needs both --sd and --reliability as numbers")
            continue
        try:
            parameters[name] = JacobsonTruax(float(sd), float(reliability))
        except ValueError as error:
            errors.append(f"{name}: {error}")
    return parameters


def outcome_payload(options: Mapping[str, Any]) -> tuple[dict[str, object], list[str]]:
    errors: list[str] = []
    pre = parsed_assignments("pre", options["pre"], errors)
    post = parsed_assignments("post", options["post"], errors)
    sds = parsed_assignments("sd", options["sd"], errors)
    jt = jacobson_truax_parameters(sds, parsed_assignments("reliability", options["reliability"], errors), errors)
    if not errors:
        try:
            return episode_outcome(pre, post, problem=options["problem"], jacobson_truax=jt).as_dict(), []
        except OutcomeInputError as error:
            errors = list(error.errors)
    return {"problem": options["problem"], "label": None, "errors": errors}, errors


class Command(JsonOutputCommand):
    help = "Classify an episode from paired first/last scores (NHS Talking Therapies, Jacobson–Truax) as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pre", action="append", default=[], metavar="MEASURE=SCORE", help="first score")
        parser.add_argument("--post", action="append", default=[], metavar="MEASURE=SCORE", help="last score")
        parser.add_argument("--problem", help="ICD-10 problem descriptor, e.g. F41.0 or F401")
        parser.add_argument("--sd", action="append", default=[], metavar="MEASURE=SD", help="Jacobson–Truax SD")
        parser.add_argument(
            "--reliability", action="append", default=[], metavar="MEASURE=R", help="Jacobson–Truax reliability"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.write_json(*outcome_payload(options))
