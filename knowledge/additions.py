"""Reviewed additions: aliases and FAQ entries a catalogue directory adds to entries of its own or of another
directory, kept in ``additions.yaml`` beside its ``catalogue.yaml``.

A directory cannot define an entry another one defines (E102), so a city whose people call the bundled
居民身份证补领 "身份证掉了" had nowhere to say so but the bundled file itself, inside the program. Its own
catalogue directory (``CATALOGUES``, under the city's version control) may now carry ``additions.yaml``::

    additions:
    - entry: food-business-licence        # an item or bundle id, of any catalogue directory loaded
      aliases: [开个小饭馆]
      faq: [{question: ..., answer: ...}]
      source: 未答问题 3f2a9c1e0b7d4e15   # where it came from, who proposed and approved it, when
      proposed_by: editor1
      approved_by: admin
      date: 2026-12-02

The loader merges every directory's additions after loading them all, checked as aliases and FAQ written in the
entry itself are (an alias may not be another entry's name, E103, nor a service the catalogues say they lack,
E127) and more: the entry must exist (E128) and an alias may not already name another entry (E129). An
addition already present (an alias the entry has, a FAQ question it answers) is left out, so writing one twice
changes nothing. ``assistant knowledge format`` never writes additions into the entries' files (it loads
without them). The unanswered-questions queue of the staff console writes the additions an admin approved
(:func:`append`); people may write them by hand as well.

Example:
    >>> addition = Addition(entry="food-business-licence", aliases=["开个小饭馆"])
    >>> check(load_catalogues(), addition)       # doctest: +SKIP
    []
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field

from knowledge.errors import CatalogueError, Problem, relative
from knowledge.schema import FAQ, Bundle, CatalogueInfo, Item, Model, Slug, Text
from knowledge.yamlio import dump

if TYPE_CHECKING:
    from knowledge.catalogue import Catalogue

FILE = "additions.yaml"
HEADER = (
    "# 经审核的补充：本目录为各事项（含其他目录的事项）增加的别名和常见问题。\n"
    "# 工作台“未答问题”中编辑提出、管理员批准后写入；也可手工编辑，`assistant knowledge validate` 检查。\n"
)

Entry = Item | Bundle


class Addition(Model):
    """Aliases and FAQ entries for one item or bundle, with where they came from."""

    entry: Slug = Field(description="事项或一件事编号")
    aliases: list[Text] = Field(default_factory=list, description="增加的别名与常用说法")
    faq: list[FAQ] = Field(default_factory=list, description="增加的常见问题")
    source: str = Field(default="", description="来源（如 未答问题 及其编号）")
    proposed_by: str = Field(default="", description="提出人")
    approved_by: str = Field(default="", description="批准人")
    date: dt.date | None = Field(default=None, description="批准日期")


class Additions(Model):
    """``additions.yaml``."""

    additions: list[Addition] = Field(default_factory=list, description="补充")


@dataclass
class _Where:
    """Where an addition was written, for messages: the file and the line of each of its fields."""

    file: str
    line: Callable[..., int | None]


def load(directory: Path) -> tuple[Additions | None, _Where | None, list[Problem]]:
    """``directory/additions.yaml`` parsed (None, None, [] when there is none).

    Returns:
        (additions, where, problems): additions None when the file does not parse.
    """
    from knowledge.loader import parse_file  # the loader imports this module

    path = directory / FILE
    if not path.is_file():
        return None, None, []
    parsed, problems = parse_file(path, Additions)
    if parsed is None:
        return None, None, problems
    return parsed.model, _Where(relative(path), parsed.line), problems  # type: ignore[return-value]


def merge(
    directories: Sequence[Path],
    items: dict[str, Item],
    bundles: dict[str, Bundle],
    infos: Sequence[CatalogueInfo],
    sources: dict[str, Path],
) -> tuple[list[Problem], list[Path]]:
    """Merge every directory's additions into ``items`` and ``bundles`` (replaced in place by extended copies).

    Returns:
        (problems, files): the problems found (an addition with a problem is not merged; the caller refuses the
        whole catalogue on any) and the additions files read (their content is part of the catalogue's version).
    """
    problems: list[Problem] = []
    files: list[Path] = []
    checker = _Checker(items, bundles, infos, sources)
    for directory in directories:
        additions, where, found = load(directory)
        problems += found
        if additions is None or where is None:
            continue
        files.append(directory / FILE)
        for position, addition in enumerate(additions.additions):
            problems += checker.apply(addition, where, position)
    return problems, files


def check(catalogue: Catalogue, addition: Addition) -> list[Problem]:
    """The problems ``addition`` would have in ``catalogue`` (the checks :func:`merge` makes; nothing changes)."""
    checker = _Checker(dict(catalogue.items), dict(catalogue.bundles), catalogue.infos, catalogue.sources)
    return checker.apply(addition, _Where(FILE, lambda *path: None), 0)


def is_new(catalogue: Catalogue, addition: Addition) -> bool:
    """Whether ``addition`` adds anything the catalogue's entry does not have already."""
    entry = catalogue.items.get(addition.entry) or catalogue.bundles.get(addition.entry)
    if entry is None:
        return True
    questions = {f.question for f in entry.faq}
    return any(a not in entry.aliases and a != entry.name for a in addition.aliases) or any(
        f.question not in questions for f in addition.faq
    )


class _Checker:
    """Checks additions against the catalogues loaded and merges those that pass."""

    def __init__(
        self,
        items: dict[str, Item],
        bundles: dict[str, Bundle],
        infos: Sequence[CatalogueInfo],
        sources: dict[str, Path],
    ):
        self.items, self.bundles, self.sources = items, bundles, sources
        entries: list[Entry] = [*items.values(), *bundles.values()]
        self.names = {e.name: e.id for e in entries}
        self.aliases: dict[str, str] = {}
        for e in entries:
            for alias in e.aliases:
                self.aliases.setdefault(alias, e.id)
        self.uncovered = {phrase for info in infos for phrase in info.uncovered}

    def apply(self, addition: Addition, where: _Where, position: int) -> list[Problem]:
        target = self.items if addition.entry in self.items else self.bundles
        entry: Entry | None = target.get(addition.entry)
        base = ("additions", position)

        def problem(code: str, path: tuple[str | int, ...], **args: object) -> Problem:
            field = ".".join(str(p) for p in (*base, *path))
            name = entry.name if entry is not None else addition.entry
            return Problem(code, where.file, where.line(*base, *path), name, field, args)

        if entry is None:
            return [problem("E128", ("entry",), entry=addition.entry)]
        problems: list[Problem] = []
        aliases = list(entry.aliases)
        for i, alias in enumerate(addition.aliases):
            other = self.names.get(alias)
            if other is not None and other != entry.id:
                problems.append(problem("E103", ("aliases", i), alias=alias, other=relative(self.sources[other])))
            elif alias in self.uncovered:
                problems.append(problem("E127", ("aliases", i), phrase=alias))
            elif self.aliases.get(alias, entry.id) != entry.id:
                named = self.aliases[alias]
                problems.append(problem("E129", ("aliases", i), alias=alias, other=relative(self.sources[named])))
            elif alias != entry.name and alias not in aliases:
                aliases.append(alias)
        questions = {f.question for f in entry.faq}
        faq = list(entry.faq) + [f for f in addition.faq if f.question not in questions]
        if not problems:
            for alias in aliases:
                self.aliases.setdefault(alias, entry.id)
            target[entry.id] = entry.model_copy(update={"aliases": aliases, "faq": faq})  # type: ignore[assignment]
        return problems


def append(directory: Path, addition: Addition) -> str | None:
    """Add ``addition`` to ``directory/additions.yaml`` (written whole, atomically) and return the file's previous
    text (None: there was none), for :func:`restore`.

    Raises:
        CatalogueError: the file there does not parse; nothing is written.
    """
    path = directory / FILE
    previous = path.read_text(encoding="utf-8") if path.is_file() else None
    current, _, problems = load(directory)
    errors = [p for p in problems if not p.is_warning]
    if errors:
        raise CatalogueError(errors)
    records = [*(current.additions if current else []), addition]
    _write(path, HEADER + dump(Additions(additions=records)))
    return previous


def restore(directory: Path, previous: str | None) -> None:
    """Put ``directory/additions.yaml`` back as :func:`append` found it."""
    path = directory / FILE
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        _write(path, previous)


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
