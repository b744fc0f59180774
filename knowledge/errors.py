"""Catalogue error messages, in one place, with stable codes.

Every problem found in a catalogue is a :class:`Problem` that names the file, the line where known, the
item, the field and the reason, and says what to do. A catalogue with any problem is refused whole.
Codes starting with W are warnings: ``assistant knowledge validate`` prints them and the catalogue still loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MESSAGES: dict[str, str] = {
    "E001": "YAML syntax error: {reason}. Fix the syntax at the line shown.",
    "E002": "the file must hold one mapping (key: value pairs) at the top, not {found}.",
    "E003": "key '{key}' appears twice in the same mapping; keep one.",
    "E004": "the file name must be the {kind}'s id: rename the file to '{expected}' or change the id.",
    "E005": "cannot read the file: {reason}.",
    "E006": "catalogue directory has no catalogue.yaml; add one (name, region, fictional, version).",
    "E007": "no item or bundle files found under {path}; items go in items/**/*.yaml, bundles in bundles/*.yaml.",
    "E010": "{reason}",
    "E101": "name '{name}' is already used by {other}; names must be unique within a catalogue.",
    "E102": "id '{id}' is already used by {other}; ids must be unique.",
    "E103": "alias '{alias}' is the name of another item or bundle ({other}); remove the alias.",
    "E110": "bundle member '{member}' is not an item of the catalogue; use the exact item name.",
    "E111": "option '{option}' refers to material '{material}', which the item does not list under materials.",
    "E112": "material '{material}' is marked base: false but no scenario option adds it; "
    "add it to an option's add_materials or set base: true.",
    "E113": "question '{question}' depends on question '{target}', which is not defined before it in this item.",
    "E114": "question '{question}' depends on option '{option}', which question '{target}' does not offer.",
    "E115": "{what} id '{id}' appears more than once in this item; ids must be unique.",
    "E116": "promised time limit ({promised}) is longer than the legal time limit ({legal}).",
    "E117": "material id '{material}' is named '{name}' here but '{other_name}' in {other}; "
    "one id must mean one document: rename the id or align the names.",
    "E118": "question id '{question}' differs here from the question of the same id in {other} "
    "(text or option ids); a shared question id must mean the same question.",
    "E119": "option '{option}' removes material '{material}' that is not a base material; "
    "only base materials can be waived.",
    "E120": "in the fictional catalogue of {region}, local field '{value}' must say it is {region} "
    "(fictional): include '{region}' in it.",
    "E121": "element '{element}' has no real content ({reason}); this catalogue requires every core "
    "element to be filled.",
    "E122": "element(s) {elements} are marked unknown; this catalogue requires every element to be filled.",
    "E123": "unknown lists '{element}', which is not an element key; allowed: {allowed}.",
    "E124": "bundle '{bundle}' lists member '{member}' twice.",
    "E125": "no legal_review; this catalogue requires every item to record when its legal basis was last reviewed: "
    "add legal_review with date (YYYY-MM-DD) and sources (the texts and articles read).",
    "E126": "cites {title}, repealed on {repealed_on} by {repealed_by}; cite the text in force instead: {replaced_by}.",
    "E127": "'{phrase}' names this entry but catalogue.yaml lists it under uncovered (services the catalogue lacks); "
    "remove it from one of the two.",
    "E128": "additions: '{entry}' is not the id of an item or bundle of the catalogues loaded; "
    "use an id `assistant knowledge list` shows.",
    "E129": "alias '{alias}' already names another entry ({other}); an alias names one entry: remove one of the two.",
    "E130": "synonym '{synonym}' of option '{option}' also names option '{other}' of question '{question}'; a story "
    "saying it would choose neither: keep it on one option.",
    "E131": "'{synonym}', which catalogue.yaml's option_synonyms gives every option labelled '{label}', also names "
    "option '{other}' of question '{question}'; a story saying it would choose neither: remove it from one of the two.",
    "E132": "option_synonyms lists '{label}', which is the label of no scenario option of this catalogue; use an "
    "option's exact label.",
    # warnings
    "W001": "legal review of {date} is {age} days old, more than {max_age}; re-read the basis against the texts "
    "in force and update legal_review (date, sources).",
    "W002": "cites {title}, which {repealed_by} repeals on {repealed_on}; cite {replaced_by} from that day.",
    "W003": "legal review date {date} is after today ({today}); correct the date.",
}


@dataclass(frozen=True)
class Problem:
    """One problem found in a catalogue.

    Example:
        >>> print(Problem("E110", "b.yaml", 7, "企业开办一件事", "members", {"member": "X"}))
        b.yaml:7: 企业开办一件事: members: [E110] bundle member 'X' is not an item of the catalogue; use the exact item name.
    """

    code: str
    file: str
    line: int | None
    item: str | None
    field: str | None
    args: dict[str, object]

    @property
    def is_warning(self) -> bool:
        """True for a warning (a W code): reported, but the catalogue still loads."""
        return self.code.startswith("W")

    @property
    def reason(self) -> str:
        """The filled-in message for this problem's code."""
        return MESSAGES[self.code].format(**self.args)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.item:
            parts.append(self.item)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + f": [{self.code}] {self.reason}"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, as returned by the reload API."""
        return {
            "code": self.code,
            "file": self.file,
            "line": self.line,
            "item": self.item,
            "field": self.field,
            "reason": self.reason,
        }


class CatalogueError(Exception):
    """A catalogue was refused; ``problems`` lists every reason."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(str(p) for p in problems)
        super().__init__(f"catalogue refused ({len(problems)} problem(s)):\n{lines}")


def relative(path: Path) -> str:
    """A path as shown in messages: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
