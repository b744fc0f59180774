"""Reading catalogue YAML with line numbers, and writing it in one canonical form.

The canonical form (model field order, defaults left out, no line folding) is what
``assistant knowledge format`` writes and what the Excel import produces, so diffs stay reviewable and a
YAML -> xlsx -> YAML round trip gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

Path_ = tuple[str | int, ...]

# libyaml is ~10x faster; the pure-Python classes are the fallback where it is missing.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse(text: str) -> tuple[yaml.Node | None, Any]:
    """Parse YAML text once into its node tree (for line numbers) and its Python data.

    Raises:
        yaml.YAMLError: on bad syntax.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    return node, data


def line_index(node: yaml.Node | None) -> tuple[dict[Path_, int], list[tuple[Path_, str, int]]]:
    """Map every path in the document to its 1-based line, and list duplicate keys.

    Returns:
        (lines, duplicates): ``lines[("materials", 0, "name")] == 42``; duplicates as (path, key, line).
    """
    lines: dict[Path_, int] = {}
    duplicates: list[tuple[Path_, str, int]] = []

    def walk(n: yaml.Node, path: Path_) -> None:
        lines[path] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in n.value:
                key = str(key_node.value)
                if key in seen:
                    duplicates.append((path, key, key_node.start_mark.line + 1))
                seen.add(key)
                walk(value_node, (*path, key))
                lines[(*path, key)] = key_node.start_mark.line + 1
        elif isinstance(n, yaml.SequenceNode):
            for i, child in enumerate(n.value):
                walk(child, (*path, i))

    if node is not None:
        walk(node, ())
    return lines, duplicates


def line_of(lines: dict[Path_, int], path: Path_) -> int | None:
    """The line of the longest known prefix of ``path``."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return None


class _Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """SafeDumper with block scalars for multi-line text."""


def _str_presenter(dumper: Any, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def to_data(model: BaseModel) -> dict[str, Any]:
    """Canonical plain data of a model: JSON types, defaults left out."""
    return model.model_dump(mode="json", exclude_defaults=True)


def dump(model: BaseModel) -> str:
    """Canonical YAML text of a catalogue model."""
    return yaml.dump(
        to_data(model),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        width=10_000,
        default_flow_style=False,
    )


def write(model: BaseModel, path: Path) -> None:
    """Write a model as canonical YAML, creating parent directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(model), encoding="utf-8")
