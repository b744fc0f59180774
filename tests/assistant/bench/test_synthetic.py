"""The synthetic city catalogue of the scale benchmark: deterministic, valid, and varied from its source."""

from __future__ import annotations

import pytest
from conftest import SHARED

from assistant.bench.synthetic import CITY, generate, read_records
from knowledge.loader import load_catalogues

GD = SHARED / "data" / "gd-policy.jsonl"

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic")
    report = generate(GD, root / "a", size=150, seed=3)
    return root, report


def test_same_seed_gives_the_same_files(generated, tmp_path):
    root, _ = generated
    generate(GD, tmp_path / "b", size=150, seed=3)
    first = {p.relative_to(root / "a"): p.read_bytes() for p in sorted((root / "a").rglob("*.yaml"))}
    second = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in sorted((tmp_path / "b").rglob("*.yaml"))}
    assert len(first) == 151  # catalogue.yaml + 150 items
    assert first == second


def test_catalogue_loads_through_the_normal_loader(generated):
    root, report = generated
    catalogue = load_catalogues([root / "a"], bundled=False)
    assert report == f"generated 150 items from 2262 records into {root / 'a'}"
    assert len(catalogue.items) == 150
    info = catalogue.infos[0]
    assert (info.region, info.fictional) == (CITY, True)
    items = list(catalogue.items.values())
    assert len({item.name for item in items}) == 150
    # one city's catalogue: city, district and street offices, all of the fictional city
    assert {lv for item in items for lv in item.level} == {"市", "县", "乡镇"}
    assert all(item.department.startswith(CITY) for item in items)


def test_names_and_texts_are_varied_from_the_real_records(generated):
    root, _ = generated
    catalogue = load_catalogues([root / "a"], bundled=False)
    real_names = {r["TASK_NAME"].strip() for r in read_records(GD)}
    items = list(catalogue.items.values())
    assert sum(item.name not in real_names for item in items) > 100
    assert not any("广东省" in item.department or "广州市" in item.department for item in items)
