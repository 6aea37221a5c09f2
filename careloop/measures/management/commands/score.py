"""`careloop score INSTRUMENT A1 ... An`: score one set of answers and print the result as one JSON object.

Answers are whole numbers in item order, `-` for an unanswered item. Instrument parameters are options
(`--sex female` for AUDIT-C, `--cutoff 13` for EPDS, or `--param name=value`); `--instrument-file` scores
against an admin's own instrument file instead of a built-in one. The exit status is 0 when the input was
valid, complete or not, and 2 when it was not; either way the JSON goes to stdout, with `errors` saying
what was wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careloop.measures.instruments_registry import (
    InstrumentFileError,
    UnknownInstrumentError,
    builtin_instruments,
    find_instrument,
    load_instrument_file,
)
from careloop.measures.scoring import ScoringInputError, score

MISSING_ANSWER = "-"
INVALID_INPUT = 2
_WHOLE_NUMBER = re.compile(r"[+-]?\d+")


def invalid_payload(instrument: str | None, errors: Sequence[str]) -> dict[str, object]:
    return {
        "instrument": instrument,
        "total": None,
        "band": None,
        "caseness": None,
        "flags": [],
        "subscales": {},
        "complete": False,
        "errors": list(errors),
    }


def parsed_answer(token: str) -> int | str | None:
    """'-' is unanswered and digits are a whole number; anything else is passed on to be rejected by item."""
    if token == MISSING_ANSWER:
        return None
    return int(token) if _WHOLE_NUMBER.fullmatch(token) else token


def parameter_options() -> dict[str, str]:
    """Every built-in instrument parameter, as option name -> help naming the instruments that take it."""
    helps: dict[str, list[str]] = {}
    for instrument in builtin_instruments().values():
        for parameter in instrument.parameters:
            helps.setdefault(parameter.name, []).append(f"{instrument.name}: {parameter.help}")
    return {name: " | ".join(texts) for name, texts in helps.items()}


def score_payload(
    name: str, tokens: Sequence[str], params: Mapping[str, str], instrument_file: str | None = None
) -> tuple[dict[str, object], list[str]]:
    """The JSON object to print, and the input errors (none when the input was valid)."""
    try:
        instrument = load_instrument_file(instrument_file) if instrument_file else find_instrument(name)
        if instrument_file and instrument.id != find_instrument(name, [instrument]).id:
            raise UnknownInstrumentError(f"{instrument_file} does not define {name!r}")
        result = score(instrument, [parsed_answer(token) for token in tokens], **params)
    except (UnknownInstrumentError, InstrumentFileError) as error:
        return invalid_payload(name, [str(error)]), [str(error)]
    except ScoringInputError as error:
        return invalid_payload(error.instrument, error.errors), list(error.errors)
    return result.as_dict(), []


class JsonOutputCommand(BaseCommand):
    """A command whose stdout is always one JSON object, usage errors included, exiting 2 on bad input."""

    requires_system_checks: list[str] = []

    def invalid_usage_payload(self, message: str) -> dict[str, object]:
        return {"errors": [message]}

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        usage_error = parser.error

        def error(message: str) -> NoReturn:
            self.stdout.write(json.dumps(self.invalid_usage_payload(message)))
            if parser.called_from_command_line:
                usage_error(message)
            raise CommandError(f"Error: {message}", returncode=INVALID_INPUT)

        parser.error = error  # type: ignore[method-assign]
        return parser

    def write_json(self, payload: Mapping[str, object], errors: Sequence[str]) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False))
        if errors:
            raise CommandError("; ".join(errors), returncode=INVALID_INPUT)


class Command(JsonOutputCommand):
    help = "Score one set of answers to an instrument and print the result as JSON ('-' marks a missing answer)."

    def invalid_usage_payload(self, message: str) -> dict[str, object]:
        return invalid_payload(None, [message])

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Options may sit anywhere, even between answers: `score GAD-7 --caseness-rule screening 1 1 ...`.
        parser.parse_args = parser.parse_intermixed_args  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("instrument", help="instrument name, e.g. PHQ-9, phq9, GAD-7, C-SSRS")
        parser.add_argument("answers", nargs="*", help="answers in item order; '-' for a missing answer")
        for name, help_text in parameter_options().items():
            option = f"--{name.replace('_', '-')}"
            parser.add_argument(option, dest=f"parameter_{name}", metavar=name.upper(), help=help_text)
        parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="any parameter")
        parser.add_argument("--instrument-file", help="score against this instrument file (YAML)")

    def handle(self, *args: Any, **options: Any) -> None:
        params, errors = collected_parameters(options)
        if errors:
            payload = invalid_payload(options["instrument"], errors)
        else:
            instrument, answers = options["instrument"], options["answers"]
            payload, errors = score_payload(instrument, answers, params, options["instrument_file"])
        self.write_json(payload, errors)


def collected_parameters(options: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    params = {key.removeprefix("parameter_"): value for key, value in options.items() if key.startswith("parameter_")}
    params = {name: value for name, value in params.items() if value is not None}
    errors: list[str] = []
    for assignment in options["param"]:
        name, equals, value = assignment.partition("=")
        if not equals or not name:
            errors.append(f"--param {assignment!r}: expected NAME=VALUE")
        else:
            params[name.strip().replace("-", "_")] = value.strip()
    return params, errors
