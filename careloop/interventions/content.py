"""The content registry: intervention modules as data files, read and validated once.

Each module is a folder under ``content/`` holding one Markdown file per language
(``content/<module>/<lang>.md``). A file opens with YAML front matter — ``id``, ``version``,
``kind`` (psychoeducation or exercise), ``evidence`` (the source the content follows),
``languages`` (every language the module ships in) and, for exercises, the ``fields`` a patient
fills in — followed by the Markdown the patient reads. Field types ``text`` are free text (stored
encrypted and screened for risk); every other type is structured and stored as JSON.

``list_modules()`` lists every module; ``get_module(id, language)`` returns one module in one
language, falling back to English only when the module does not ship that language.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CONTENT_DIR = Path(__file__).with_name("content")
DEFAULT_LANGUAGE = "en"
_FRONT_MATTER = re.compile(r"\A---\n(?P<meta>.*?)\n---\n(?P<body>.*)\Z", re.DOTALL)


class ContentFileError(ValueError):
    """A content file could not be read or does not match the schema."""


class UnknownModuleError(LookupError):
    """No module has this id."""


class ModuleField(BaseModel):
    """One thing an exercise asks for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: Literal["text", "scale", "number", "choice", "time", "date", "checklist"]
    label: str
    help: str = ""
    min: int | None = None
    max: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    required: bool = False

    @property
    def free_text(self) -> bool:
        return self.type == "text"


class Module(BaseModel):
    """One module in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str
    kind: Literal["psychoeducation", "exercise"]
    evidence: str = Field(min_length=10)
    languages: tuple[str, ...]
    language: str
    title: str
    summary: str
    topic: str = ""
    minutes: int = 5
    widget: str = ""
    fields: tuple[ModuleField, ...] = ()
    body: str

    @model_validator(mode="after")
    def _consistent(self) -> Module:
        if self.language not in self.languages:
            raise ValueError(f"language {self.language!r} is not listed in languages")
        if DEFAULT_LANGUAGE not in self.languages:
            raise ValueError("every module ships in English")
        names = [field.name for field in self.fields]
        if len(names) != len(set(names)):
            raise ValueError("field names must be unique")
        return self


def load_module_file(path: Path) -> Module:
    """Read one ``<module>/<lang>.md`` file; the folder names the id, the file the language."""
    try:
        match = _FRONT_MATTER.match(path.read_text(encoding="utf-8"))
        if match is None:
            raise ContentFileError(f"{path}: no YAML front matter")
        meta = yaml.safe_load(match["meta"])
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ContentFileError(f"{path}: cannot read content file: {error}") from error
    try:
        module = Module.model_validate({**meta, "language": path.stem, "body": match["body"].strip()})
    except ValidationError as error:
        raise ContentFileError(f"{path}: {error}") from error
    if module.id != path.parent.name:
        raise ContentFileError(f"{path}: id {module.id!r} differs from its folder")
    return module


@functools.cache
def _all_modules() -> Mapping[tuple[str, str], Module]:
    modules = {}
    for path in sorted(CONTENT_DIR.glob("*/*.md")):
        module = load_module_file(path)
        modules[(module.id, module.language)] = module
    for (module_id, _), module in modules.items():
        missing = [lang for lang in module.languages if (module_id, lang) not in modules]
        if missing:
            raise ContentFileError(f"{module_id}: languages {missing} listed but no file")
    return MappingProxyType(modules)


def list_modules(language: str = DEFAULT_LANGUAGE) -> list[Module]:
    """Every module, each in ``language`` where it ships in it (else English), ordered by kind and title."""
    ids = sorted({module_id for module_id, _ in _all_modules()})
    modules = [get_module(module_id, language) for module_id in ids]
    return sorted(modules, key=lambda m: (m.kind != "psychoeducation", m.id))


def get_module(module_id: str, language: str = DEFAULT_LANGUAGE) -> Module:
    """One module in ``language`` (its base language, e.g. 'es' for 'es-MX'); English if not shipped."""
    modules = _all_modules()
    base = language.split("-")[0].lower()
    for key in ((module_id, language), (module_id, base), (module_id, DEFAULT_LANGUAGE)):
        if key in modules:
            return modules[key]
    raise UnknownModuleError(module_id)


def module_ids() -> list[str]:
    return sorted({module_id for module_id, _ in _all_modules()})
