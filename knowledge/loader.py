"""Loading and validating catalogue directories.

A catalogue directory holds ``catalogue.yaml``, ``items/**/*.yaml`` (one item a file) and
``bundles/*.yaml`` (one bundle a file). Loading checks every file against the schema, then the
catalogue as a whole (:mod:`knowledge.validate`); any problem refuses the whole load, so a broken file
never half-loads. :func:`check_directories` also returns the warnings (an old legal review, a repeal still to
come), which never refuse anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge import additions as reviewed_additions
from knowledge import validate
from knowledge.catalogue import BUNDLED, Catalogue, digest_files
from knowledge.errors import CatalogueError, Problem, relative
from knowledge.schema import Bundle, CatalogueInfo, Item, Option
from knowledge.yamlio import Path_, line_index, line_of, parse

M = TypeVar("M", bound=BaseModel)


class Parsed:
    """A file parsed into a model, with its line map for later messages."""

    def __init__(self, path: Path, model: BaseModel, lines: dict[Path_, int]):
        self.path = path
        self.model = model
        self.lines = lines

    def line(self, *path: str | int) -> int | None:
        """Line of a field path in this file."""
        return line_of(self.lines, path)


def _field(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_file(path: Path, model: type[M]) -> tuple[Parsed | None, list[Problem]]:
    """Parse one YAML file into ``model``; returns (parsed or None, problems)."""
    shown = relative(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem("E005", shown, None, None, None, {"reason": exc})]
    try:
        node, data = parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        return None, [Problem("E001", shown, line, None, None, {"reason": reason})]
    lines, duplicates = line_index(node)
    item_name = data.get("name") if isinstance(data, dict) else None
    problems = [Problem("E003", shown, line, item_name, _field(p) or None, {"key": key}) for p, key, line in duplicates]
    if not isinstance(data, dict):
        found = "nothing" if data is None else type(data).__name__
        problems.append(Problem("E002", shown, 1, None, None, {"found": found}))
        return None, problems
    try:
        obj = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            reason = err["msg"]
            if err["type"] == "extra_forbidden":
                reason = f"unknown field '{loc[-1]}'; check its spelling against `assistant knowledge schema`"
            elif err["type"] == "missing":
                reason = "field required"
            elif err["type"] == "literal_error":
                reason = f"{err['msg']}, got {err['input']!r}"
            problems.append(Problem("E010", shown, line_of(lines, loc), item_name, _field(loc), {"reason": reason}))
        return None, problems
    return Parsed(path, obj, lines), problems


def load_catalogue(
    directory: Path, *, today: dt.date | None = None
) -> tuple[CatalogueInfo, list[Parsed], list[Parsed], list[Path]]:
    """Parse every file of one catalogue directory and run the whole-catalogue checks.

    Args:
        directory: the catalogue directory.
        today: the day a repealed text is judged against (default: today).

    Returns:
        (info, items, bundles, files).

    Raises:
        CatalogueError: with every problem found, when there is any.
    """
    problems: list[Problem] = []
    info_path = directory / "catalogue.yaml"
    info: CatalogueInfo | None = None
    info_parsed: Parsed | None = None
    if not info_path.is_file():
        problems.append(Problem("E006", relative(directory), None, None, None, {}))
    else:
        info_parsed, found = parse_file(info_path, CatalogueInfo)
        problems += found
        info = info_parsed.model if info_parsed else None  # type: ignore[assignment]
    item_files = sorted((directory / "items").rglob("*.yaml"))
    bundle_files = sorted((directory / "bundles").glob("*.yaml"))
    if not item_files and not bundle_files:
        problems.append(Problem("E007", relative(directory), None, None, None, {"path": relative(directory)}))
    items: list[Parsed] = []
    bundles: list[Parsed] = []
    for files, model, out in ((item_files, Item, items), (bundle_files, Bundle, bundles)):
        for path in files:
            parsed, found = parse_file(path, model)
            problems += found
            if parsed is not None:
                out.append(parsed)
    if info is not None:
        problems += validate.check_catalogue(info, items, bundles, today=today)
        problems += validate.check_option_synonyms(info_parsed, items)  # type: ignore[arg-type]
    if problems:
        raise CatalogueError(problems)
    assert info is not None
    return info, items, bundles, [info_path, *item_files, *bundle_files]


def load_catalogues(extra: Iterable[Path] = (), *, bundled: bool = True, additions: bool = True) -> Catalogue:
    """Load the bundled catalogue (unless ``bundled`` is False) and any extra catalogue directories.

    Raises:
        CatalogueError: when any catalogue has a problem, or two catalogues share an id.
    """
    return load_directories(([BUNDLED] if bundled else []) + [Path(p) for p in extra], additions=additions)


def load_directories(directories: Iterable[Path], *, additions: bool = True) -> Catalogue:
    """Load and merge catalogue directories, in order (the first wins a name lookup), with what a catalogue adds to
    its entries beyond their own files unless ``additions`` is False: its reviewed additions (``additions.yaml``,
    :mod:`knowledge.additions`) and the option words ``catalogue.yaml`` shares (:func:`with_shared_synonyms`).

    Raises:
        CatalogueError: when any catalogue has a problem, or two catalogues share an id.
    """
    return _load_directories(directories, additions=additions)[0]


def check_directories(
    directories: Iterable[Path], *, today: dt.date | None = None, review_max_age_days: int | None = None
) -> tuple[Catalogue, list[Problem]]:
    """Load catalogue directories like :func:`load_directories`, and find what deserves a warning.

    Args:
        directories: catalogue directories, in order.
        today: the day review ages and repeals are judged against (default: today).
        review_max_age_days: the oldest a legal review may be, overriding each ``catalogue.yaml``'s
            ``review_max_age_days``.

    Returns:
        (catalogue, warnings): the warnings (W codes) never refuse the catalogue.

    Raises:
        CatalogueError: when any catalogue has a problem, or two catalogues share an id.
    """
    catalogue, loaded = _load_directories(directories, today=today)
    warnings: list[Problem] = []
    for info, items, bundles in loaded:
        warnings += validate.check_warnings(info, items, bundles, today=today, review_max_age_days=review_max_age_days)
    return catalogue, warnings


def with_shared_synonyms(item: Item, info: CatalogueInfo) -> Item:
    """``item`` with ``info.option_synonyms`` merged into its scenario options: an option labelled 委托他人代为办理 reads
    the catalogue's words for it (代办, 委托, 替他去 …) after its own. The item itself when none applies."""
    shared = info.option_synonyms
    if not any(option.label in shared for question in item.scenario for option in question.options):
        return item

    def merged(option: Option) -> Option:
        words = shared.get(option.label)
        if not words:
            return option
        return option.model_copy(update={"synonyms": list(dict.fromkeys([*option.synonyms, *words]))})

    scenario = [q.model_copy(update={"options": [merged(o) for o in q.options]}) for q in item.scenario]
    return item.model_copy(update={"scenario": scenario})


def _load_directories(
    directories: Iterable[Path], *, today: dt.date | None = None, additions: bool = True
) -> tuple[Catalogue, list[tuple[CatalogueInfo, list[Parsed], list[Parsed]]]]:
    directories = list(directories)
    loaded: list[tuple[CatalogueInfo, list[Parsed], list[Parsed]]] = []
    catalogue_infos: list[CatalogueInfo] = []
    items: dict[str, Item] = {}
    bundles: dict[str, Bundle] = {}
    sources: dict[str, Path] = {}
    origin: dict[str, str] = {}
    files: list[Path] = []
    problems: list[Problem] = []
    for directory in directories:
        try:
            info, parsed_items, parsed_bundles, found_files = load_catalogue(directory, today=today)
        except CatalogueError as exc:
            problems += exc.problems
            continue
        loaded.append((info, parsed_items, parsed_bundles))
        catalogue_infos.append(info)
        files += found_files
        for parsed in [*parsed_items, *parsed_bundles]:
            entry = parsed.model
            if entry.id in sources:  # type: ignore[attr-defined]
                problems.append(
                    Problem(
                        "E102",
                        relative(parsed.path),
                        parsed.line("id"),
                        entry.name,  # type: ignore[attr-defined]
                        "id",
                        {"id": entry.id, "other": relative(sources[entry.id])},  # type: ignore[attr-defined]
                    )
                )
                continue
            if additions and isinstance(entry, Item):
                entry = with_shared_synonyms(entry, info)
            target = items if isinstance(entry, Item) else bundles
            target[entry.id] = entry  # type: ignore[index,attr-defined,assignment]
            sources[entry.id] = parsed.path  # type: ignore[attr-defined]
            origin[entry.id] = info.name  # type: ignore[attr-defined]
    if additions and not problems:
        found, additions_files = reviewed_additions.merge(directories, items, bundles, catalogue_infos, sources)
        problems += found
        files += additions_files
    if problems:
        raise CatalogueError(problems)
    catalogue = Catalogue(
        infos=catalogue_infos,
        items=items,
        bundles=bundles,
        sources=sources,
        origin=origin,
        digest=digest_files(files),
    )
    return catalogue, loaded
