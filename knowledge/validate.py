"""Whole-catalogue (semantic) checks that the schema of one file cannot make."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING

from knowledge.catalogue import is_placeholder
from knowledge.errors import Problem, relative
from knowledge.glossary import ELEMENTS
from knowledge.repealed import RepealedText, find_repealed, repealed_texts
from knowledge.schema import Bundle, CatalogueInfo, Fee, Item, TimeLimit

if TYPE_CHECKING:
    from knowledge.loader import Parsed

FieldPath = tuple[str | int, ...]


def _longer(promised: TimeLimit, legal: TimeLimit) -> bool:
    if promised.unit == legal.unit and promised.amount is not None and legal.amount is not None:
        return promised.amount > legal.amount
    p, g = promised.in_days(), legal.in_days()
    return p is not None and g is not None and p > g


def _problem(parsed: Parsed, code: str, path: FieldPath, **args: object) -> Problem:
    field = ".".join(str(p) for p in path) if path else None
    return Problem(code, relative(parsed.path), parsed.line(*path), parsed.model.name, field, args)  # type: ignore[attr-defined]


def check_catalogue(
    info: CatalogueInfo, items: list[Parsed], bundles: list[Parsed], *, today: dt.date | None = None
) -> list[Problem]:
    """Every cross-field and cross-file problem of one catalogue directory.

    Args:
        info: the directory's ``catalogue.yaml``.
        items: its parsed items.
        bundles: its parsed bundles.
        today: the day a repeal is judged against (default: today); a text repealed later is only warned about,
            by :func:`check_warnings`.
    """
    problems: list[Problem] = []

    def add(parsed: Parsed, code: str, path: FieldPath, **args: object) -> None:
        problems.append(_problem(parsed, code, path, **args))

    names: dict[str, Parsed] = {}
    ids: dict[str, Parsed] = {}
    for parsed in [*items, *bundles]:
        entry = parsed.model
        kind = "item" if isinstance(entry, Item) else "bundle"
        if parsed.path.stem != entry.id:  # type: ignore[attr-defined]
            add(parsed, "E004", ("id",), kind=kind, expected=f"{entry.id}.yaml")  # type: ignore[attr-defined]
        if entry.name in names:  # type: ignore[attr-defined]
            add(parsed, "E101", ("name",), name=entry.name, other=relative(names[entry.name].path))  # type: ignore[attr-defined]
        else:
            names[entry.name] = parsed  # type: ignore[attr-defined]
        if entry.id in ids:  # type: ignore[attr-defined]
            add(parsed, "E102", ("id",), id=entry.id, other=relative(ids[entry.id].path))  # type: ignore[attr-defined]
        else:
            ids[entry.id] = parsed  # type: ignore[attr-defined]
    uncovered = set(info.uncovered)  # services the catalogue says it lacks: no entry may be named so
    for parsed in [*items, *bundles]:
        if parsed.model.name in uncovered:  # type: ignore[attr-defined]
            add(parsed, "E127", ("name",), phrase=parsed.model.name)  # type: ignore[attr-defined]
        for i, alias in enumerate(parsed.model.aliases):  # type: ignore[attr-defined]
            other = names.get(alias)
            if other is not None and other is not parsed:
                add(parsed, "E103", ("aliases", i), alias=alias, other=relative(other.path))
            if alias in uncovered:
                add(parsed, "E127", ("aliases", i), phrase=alias)

    material_names: dict[str, tuple[str, Parsed]] = {}
    questions: dict[str, tuple[tuple[str, tuple[str, ...]], Parsed]] = {}
    for parsed in items:
        item: Item = parsed.model  # type: ignore[assignment]
        _check_item(item, parsed, info, add)
        for i, material in enumerate(item.materials):
            seen = material_names.setdefault(material.id, (material.name, parsed))
            if seen[0] != material.name:
                add(
                    parsed,
                    "E117",
                    ("materials", i, "name"),
                    material=material.id,
                    name=material.name,
                    other_name=seen[0],
                    other=relative(seen[1].path),
                )
        for qi, question in enumerate(item.scenario):
            shape = (question.text, tuple(o.id for o in question.options))
            seen_q = questions.setdefault(question.id, (shape, parsed))
            if seen_q[0] != shape and seen_q[1] is not parsed:
                add(parsed, "E118", ("scenario", qi, "id"), question=question.id, other=relative(seen_q[1].path))

    item_names = {p.model.name for p in items}  # type: ignore[attr-defined]
    for parsed in bundles:
        bundle: Bundle = parsed.model  # type: ignore[assignment]
        seen_members: set[str] = set()
        for i, member in enumerate(bundle.members):
            if member not in item_names:
                add(parsed, "E110", ("members", i), member=member)
            if member in seen_members:
                add(parsed, "E124", ("members", i), bundle=bundle.name, member=member)
            seen_members.add(member)
        if info.fictional:
            _check_local(parsed, bundle.location, info, add)
    today = today or dt.date.today()
    for parsed, path, repealed in _repealed_citations([*items, *bundles]):
        if repealed.repealed_on <= today:
            add(parsed, "E126", path, **_repeal_args(repealed))
    return problems


def check_option_synonyms(info: Parsed, items: list[Parsed]) -> list[Problem]:
    """``catalogue.yaml``'s shared option words each name the label of some scenario option of the catalogue
    (a label written differently would give its words to no option, silently)."""
    labels = {option.label for parsed in items for question in parsed.model.scenario for option in question.options}  # type: ignore[attr-defined]
    model: CatalogueInfo = info.model  # type: ignore[assignment]
    return [
        _problem(info, "E132", ("option_synonyms", label), label=label)
        for label in model.option_synonyms
        if label not in labels
    ]


def check_warnings(
    info: CatalogueInfo,
    items: list[Parsed],
    bundles: list[Parsed],
    *,
    today: dt.date | None = None,
    review_max_age_days: int | None = None,
) -> list[Problem]:
    """What is reported without refusing the catalogue: a legal review older than the allowed age or dated after
    today, and a citation of a text whose repeal is still to come.

    Args:
        info: the directory's ``catalogue.yaml`` (its ``review_max_age_days`` applies unless overridden).
        items: its parsed items.
        bundles: its parsed bundles.
        today: the day ages are counted to (default: today).
        review_max_age_days: overrides ``info.review_max_age_days``.

    Returns:
        Problems with W codes, in file order.
    """
    today = today or dt.date.today()
    max_age = review_max_age_days or info.review_max_age_days
    warnings: list[Problem] = []
    for parsed in items:
        review = parsed.model.legal_review  # type: ignore[attr-defined]
        if review is None:
            continue
        age = (today - review.date).days
        if age > max_age:
            warnings.append(
                _problem(
                    parsed, "W001", ("legal_review", "date"), date=review.date.isoformat(), age=age, max_age=max_age
                )
            )
        elif age < 0:
            warnings.append(
                _problem(
                    parsed, "W003", ("legal_review", "date"), date=review.date.isoformat(), today=today.isoformat()
                )
            )
    for parsed, path, repealed in _repealed_citations([*items, *bundles]):
        if repealed.repealed_on > today:
            warnings.append(_problem(parsed, "W002", path, **_repeal_args(repealed)))
    return sorted(warnings, key=lambda p: (p.file, p.line or 0))


def _citations(entry: Item | Bundle) -> Iterator[tuple[FieldPath, str]]:
    """Every place an entry names a legal text: its basis and the basis of each fee (overrides included)."""
    for i, basis in enumerate(entry.basis):
        yield ("basis", i, "law"), basis.law
    fees: list[tuple[FieldPath, Fee]] = [(("fee",), entry.fee)]
    if isinstance(entry, Item):
        for qi, question in enumerate(entry.scenario):
            for oi, option in enumerate(question.options):
                if option.override_fee is not None:
                    fees.append((("scenario", qi, "options", oi, "override_fee"), option.override_fee))
    for prefix, fee in fees:
        for i, fee_item in enumerate(fee.items):
            yield (*prefix, "items", i, "basis"), fee_item.basis


def _repealed_citations(entries: list[Parsed]) -> Iterator[tuple[Parsed, FieldPath, RepealedText]]:
    texts = repealed_texts()
    for parsed in entries:
        for path, citation in _citations(parsed.model):  # type: ignore[arg-type]
            repealed = find_repealed(citation, texts)
            if repealed is not None:
                yield parsed, path, repealed


def _repeal_args(repealed: RepealedText) -> dict[str, object]:
    return {
        "title": repealed.title,
        "repealed_on": repealed.repealed_on.isoformat(),
        "repealed_by": repealed.repealed_by,
        "replaced_by": repealed.replaced_by,
    }


def _check_local(parsed: Parsed, locations: list, info: CatalogueInfo, add) -> None:
    for i, location in enumerate(locations):
        for key in ("name", "address"):
            value = getattr(location, key)
            if info.region not in value:
                add(parsed, "E120", ("location", i, key), value=value, region=info.region)


def _check_item(item: Item, parsed: Parsed, info: CatalogueInfo, add) -> None:
    material_ids: set[str] = set()
    for i, material in enumerate(item.materials):
        if material.id in material_ids:
            add(parsed, "E115", ("materials", i, "id"), what="material", id=material.id)
        material_ids.add(material.id)
    base_ids = {m.id for m in item.materials if m.base}
    added: set[str] = set()
    defined: dict[str, set[str]] = {}
    for qi, question in enumerate(item.scenario):
        if question.id in defined:
            add(parsed, "E115", ("scenario", qi, "id"), what="question", id=question.id)
        if question.when is not None:
            target = defined.get(question.when.question)
            if target is None:
                add(
                    parsed,
                    "E113",
                    ("scenario", qi, "when", "question"),
                    question=question.id,
                    target=question.when.question,
                )
            else:
                for oi, chosen in enumerate(question.when.options):
                    if chosen not in target:
                        add(
                            parsed,
                            "E114",
                            ("scenario", qi, "when", "options", oi),
                            question=question.id,
                            option=chosen,
                            target=question.when.question,
                        )
        option_ids: set[str] = set()
        named: dict[str, str] = {}  # a label or synonym of this question -> the option it names
        for oi, option in enumerate(question.options):
            if option.id in option_ids:
                add(parsed, "E115", ("scenario", qi, "options", oi, "id"), what="option", id=option.id)
            option_ids.add(option.id)
            shared = info.option_synonyms.get(option.label, [])
            # a word of the option's own (E130, at that word) or of the catalogue's for its label (E131, at the label)
            # that an earlier option of the question names already
            words: list[tuple[str, tuple[str | int, ...], str]] = [
                ("E130", ("synonyms", si), w) for si, w in enumerate(option.synonyms)
            ]
            words += [("E131", ("label",), w) for w in shared]
            for code, where, synonym in words:
                other = named.get(synonym)
                if other is not None and other != option.id:
                    add(
                        parsed,
                        code,
                        ("scenario", qi, "options", oi, *where),
                        synonym=synonym,
                        option=option.id,
                        label=option.label,
                        other=other,
                        question=question.id,
                    )
            for phrase in (option.label, *option.synonyms, *shared):
                named.setdefault(phrase, option.id)
            for key in ("add_materials", "remove_materials"):
                for mi, material in enumerate(getattr(option, key)):
                    if material not in material_ids:
                        add(
                            parsed,
                            "E111",
                            ("scenario", qi, "options", oi, key, mi),
                            option=option.id,
                            material=material,
                        )
                    elif key == "remove_materials" and material not in base_ids:
                        add(
                            parsed,
                            "E119",
                            ("scenario", qi, "options", oi, key, mi),
                            option=option.id,
                            material=material,
                        )
            added.update(option.add_materials)
            override = option.override_time_limit
            if override is not None and _longer(override, item.legal_time_limit):
                add(
                    parsed,
                    "E116",
                    ("scenario", qi, "options", oi, "override_time_limit"),
                    promised=override.describe(),
                    legal=item.legal_time_limit.describe(),
                )
        defined[question.id] = option_ids
    for i, material in enumerate(item.materials):
        if not material.base and material.id not in added:
            add(parsed, "E112", ("materials", i, "base"), material=material.id)
    if _longer(item.promised_time_limit, item.legal_time_limit):
        add(
            parsed,
            "E116",
            ("promised_time_limit",),
            promised=item.promised_time_limit.describe(),
            legal=item.legal_time_limit.describe(),
        )
    for i, element in enumerate(item.unknown):
        if element not in ELEMENTS:
            add(parsed, "E123", ("unknown", i), element=element, allowed=", ".join(ELEMENTS))
    if info.fictional:
        _check_local(parsed, item.location, info, add)
    if info.require_complete:
        _check_complete(item, parsed, add)


def _check_complete(item: Item, parsed: Parsed, add) -> None:
    if item.unknown:
        add(parsed, "E122", ("unknown",), elements=", ".join(item.unknown))
    if not item.basis:
        add(parsed, "E121", ("basis",), element="basis", reason="no legal basis listed")
    if item.legal_review is None:
        add(parsed, "E125", ("legal_review",))
    if not item.conditions or any(is_placeholder(c) for c in item.conditions):
        add(parsed, "E121", ("conditions",), element="conditions", reason="empty or a placeholder")
    if not item.materials:
        add(parsed, "E121", ("materials",), element="materials", reason="no materials listed")
    for i, material in enumerate(item.materials):
        for key in ("issuer", "form", "source"):
            if getattr(material, key) is None or is_placeholder(getattr(material, key)):
                add(parsed, "E121", ("materials", i, key), element="materials", reason=f"material without {key}")
    if item.fee.charged is None:
        add(parsed, "E121", ("fee", "charged"), element="fee", reason="whether a fee is charged is not said")
    if item.online.depth is None:
        add(parsed, "E121", ("online", "depth"), element="online", reason="online depth is not said")
    for key, value in item.convenience:
        if value is None:
            add(parsed, "E121", ("convenience", key), element="convenience", reason=f"{key} is not said")
    if len(item.process.steps) < 2:
        add(parsed, "E121", ("process", "steps"), element="process", reason="fewer than two steps")
    legal = item.legal_time_limit
    if legal.amount is None and legal.unit != "即办" and is_placeholder(legal.explanation):
        add(parsed, "E121", ("legal_time_limit",), element="legal_time_limit", reason="no amount and no explanation")
    if item.result is None or is_placeholder(item.result.name):
        add(parsed, "E121", ("result",), element="result", reason="no result or a placeholder result name")
    if not item.location:
        add(parsed, "E121", ("location",), element="location", reason="no place of handling listed")
    if not item.rights_remedies:
        add(parsed, "E121", ("rights_remedies",), element="rights_remedies", reason="no remedies listed")
