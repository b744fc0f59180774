"""The bundled catalogue: every required item, complete guides, scenario trees, de-duplicating bundles."""

from __future__ import annotations

import csv

import pytest
from conftest import SHARED

from knowledge.catalogue import BUNDLED
from knowledge.checklist import build_notice, questions_of
from knowledge.loader import load_catalogues
from knowledge.yamlio import dump

REQUIRED = SHARED / "catalogue" / "required-items.tsv"


def required_rows():
    if not REQUIRED.exists():
        pytest.skip("../shared/catalogue/required-items.tsv is not beside the project")
    lines = [line for line in REQUIRED.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.reader(lines, delimiter="\t"))


def test_every_required_name_is_present_with_its_kind_and_members(bundled):
    for name, kind, _department, *members in required_rows():
        entry = bundled.get(name)
        assert entry is not None, f"missing required {kind}: {name}"
        assert entry.name == name
        if kind == "bundle":
            assert entry.id in bundled.bundles
            assert entry.members == members[0].split(";")
        else:
            assert entry.id in bundled.items


def test_core_elements_are_real_content(bundled):
    for item in bundled.items.values():
        assert not item.unknown, item.name
        assert item.basis and all(b.article and b.text for b in item.basis), item.name
        assert item.materials and all(m.issuer and m.form and m.source for m in item.materials), item.name
        assert len(item.process.steps) >= 2, item.name
        assert item.fee.charged is not None, item.name
        assert item.fee.charged is False or item.fee.items, item.name
        assert item.result is not None and item.result.name, item.name
        assert item.legal_time_limit.amount is not None or item.legal_time_limit.explanation, item.name
        assert item.conditions and item.rights_remedies and item.location, item.name


def test_at_least_forty_items_have_scenario_trees_and_some_are_two_level(bundled):
    with_tree = [i for i in bundled.items.values() if i.scenario]
    two_level = [i for i in with_tree if any(q.when for q in i.scenario)]
    assert len(with_tree) >= 40
    assert len(two_level) >= 10


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("居民身份证首次申领", "居民身份证"),
        ("住房公积金提取", "住房公积金"),
        ("机动车注册登记", "机动车"),
        ("失业保险金申领", ""),  # no other name starts as it does
    ],
)
def test_a_names_family_is_the_longest_start_it_shares_with_another_name(bundled, name, family):
    assert bundled.family(name) == family
    # the longest against every other name, as the sorted neighbours give it
    others = [e.name for e in bundled.entries() if e.name != name]
    assert not family or all(not other.startswith(name[: len(family) + 1]) for other in others)
    assert not family or any(other.startswith(family) for other in others)


def test_family_items_do_not_share_aliases(bundled):
    owners: dict[str, list[str]] = {}
    for entry in bundled.entries():
        for alias in entry.aliases:
            owners.setdefault(alias, []).append(entry.name)
    shared = {alias: names for alias, names in owners.items() if len(names) > 1}
    assert shared == {}


@pytest.mark.parametrize("bundle_id", ["enterprise-opening", "newborn-birth", "after-death", "retirement"])
def test_bundle_checklist_lists_each_material_once(bundled, bundle_id):
    bundle = bundled.bundles.get(bundle_id) or pytest.skip(f"no bundle {bundle_id}")
    notice = build_notice(bundled, bundle.id)
    ids = [m.id for m in notice.materials]
    assert len(ids) == len(set(ids))
    assert {t.item for t in notice.terms} == set(bundle.members)


def test_every_bundle_deduplicates_shared_materials(bundled):
    merged = 0
    for bundle in bundled.bundles.values():
        notice = build_notice(bundled, bundle.id)
        ids = [m.id for m in notice.materials]
        assert len(ids) == len(set(ids)), bundle.name
        merged += sum(1 for m in notice.materials if len(m.purposes) > 1)
        member_questions = {q.id for item in bundled.members(bundle) for q in item.scenario}
        assert {q.id for q in questions_of(bundled, bundle)} == member_questions
    assert merged > 0  # at least one material is needed by two member items and appears once


def test_every_complete_answer_path_gives_a_checklist(bundled):
    """Answer every question with each option in turn: no path breaks and pending always shrinks."""
    for item in bundled.items.values():
        for question in item.scenario:
            for option in question.options:
                answers = {question.id: [option.id] if question.multiple else option.id}
                if question.when:
                    answers[question.when.question] = question.when.options[0]
                    parent = item.question(question.when.question)
                    if parent and parent.multiple:
                        answers[question.when.question] = [question.when.options[0]]
                notice = build_notice(bundled, item.id, answers)
                assert notice.materials, item.name


def test_files_are_in_canonical_form():
    # as the files hold them: without what additions.yaml and catalogue.yaml's option_synonyms add
    own = load_catalogues(additions=False)
    for entry in own.entries():
        path = own.sources[entry.id]
        assert path.read_text(encoding="utf-8") == dump(entry), f"run `assistant knowledge format`: {path}"
        assert path.is_relative_to(BUNDLED)
