"""A small reader for gettext .po files (enough for Django's makemessages output), for translation tests."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class PoEntry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    locations: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values()) and "fuzzy" not in self.flags


def read_po(path: Path) -> list[PoEntry]:
    entries: list[PoEntry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = PoEntry(), ""
        for line in block.splitlines():
            if line.startswith("#:"):
                entry.locations += line[2:].split()
            elif line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                _append(entry, key, ast.literal_eval(line))
            else:
                key, _, value = line.partition(" ")
                _append(entry, key, ast.literal_eval(value), start=True)
        if entry.msgid or entry.msgstr:
            entries.append(entry)
    return [entry for entry in entries if entry.msgid]  # the header has an empty msgid


def _append(entry: PoEntry, key: str, text: str, *, start: bool = False) -> None:
    if key.startswith("msgstr"):
        index = int(key[7:-1]) if key.startswith("msgstr[") else 0
        entry.msgstr[index] = ("" if start else entry.msgstr.get(index, "")) + text
    elif key in {"msgid", "msgid_plural", "msgctxt"}:
        attribute = key
        current = "" if start else (getattr(entry, attribute) or "")
        setattr(entry, attribute, current + text)
