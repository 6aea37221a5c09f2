"""Load instrument data files and find an instrument by name.

The built-in instruments are the YAML files beside this module in `instruments/`; an admin's own
instrument is a file of the same shape, read with `load_instrument_file`, which validates it against
`instrument_schema.Instrument` and raises `InstrumentFileError` naming the file and the offending field.
Names are matched loosely ("PHQ-9", "phq9", "Phq 9" are one instrument) through each file's id, name
and aliases.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType

import yaml
from pydantic import ValidationError

from careloop.measures.instrument_schema import Instrument

INSTRUMENTS_DIR = Path(__file__).with_name("instruments")


class InstrumentFileError(ValueError):
    """An instrument file could not be read or does not match the schema."""


class UnknownInstrumentError(LookupError):
    """No instrument answers to the name."""


def canonical_name(name: str) -> str:
    """Fold a name for matching: lower case, letters and digits only ('PHQ-9' -> 'phq9')."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def load_instrument_file(path: Path | str) -> Instrument:
    """Read and validate one instrument file; every problem is reported with the field it concerns."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise InstrumentFileError(f"{path}: cannot read instrument file: {error}") from error
    try:
        return Instrument.model_validate(raw)
    except ValidationError as error:
        raise InstrumentFileError(describe_validation_error(path, error)) from error


def describe_validation_error(path: Path, error: ValidationError) -> str:
    lines = [f"{path}: invalid instrument file ({error.error_count()} problem(s))"]
    for problem in error.errors():
        field = ".".join(str(part) for part in problem["loc"])
        # Cross-field checks already name their field in the message.
        message = problem["msg"].removeprefix("Value error, ")
        lines.append(f"  {field}: {message}" if field else f"  {message}")
    return "\n".join(lines)


@functools.cache
def builtin_instruments() -> Mapping[str, Instrument]:
    """Every instrument shipped with Careloop, keyed by id."""
    instruments = [load_instrument_file(path) for path in sorted(INSTRUMENTS_DIR.glob("*.yaml"))]
    index_by_name(instruments)  # refuse two instruments answering to one name
    return MappingProxyType({instrument.id: instrument for instrument in instruments})


def index_by_name(instruments: Iterable[Instrument]) -> dict[str, Instrument]:
    index: dict[str, Instrument] = {}
    for instrument in instruments:
        for name in {canonical_name(n) for n in (instrument.id, instrument.name, *instrument.aliases)}:
            if name in index and index[name].id != instrument.id:
                raise InstrumentFileError(f"{instrument.id} and {index[name].id} both answer to {name!r}")
            index[name] = instrument
    return index


def find_instrument(name: str, instruments: Iterable[Instrument] | None = None) -> Instrument:
    """Return the instrument answering to `name` among `instruments` (default: the built-in ones)."""
    pool = builtin_instruments().values() if instruments is None else instruments
    index = index_by_name(pool)
    try:
        return index[canonical_name(name)]
    except KeyError:
        known = ", ".join(sorted(instrument.name for instrument in index.values()))
        raise UnknownInstrumentError(f"unknown instrument {name!r} (known: {known})") from None
