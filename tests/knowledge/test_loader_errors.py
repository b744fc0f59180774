"""Malformed catalogues are refused whole, each problem named by file, line, item, field and reason."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from conftest import BUNDLE, INFO, ITEM, NAME

from knowledge.errors import CatalogueError
from knowledge.glossary import ELEMENTS
from knowledge.loader import load_catalogues


def problems(root: Path) -> list[str]:
    with pytest.raises(CatalogueError) as info:
        load_catalogues([root], bundled=False)
    return [str(p) for p in info.value.problems]


def line_no(root: Path, rel: str, needle: str, nth: int = 1) -> int:
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines, 1) if needle in line]
    return hits[nth - 1]


def second_item(item_data: dict, **changes) -> dict:
    other = copy.deepcopy(item_data)
    other.update({"id": "resident-id-card-second", "name": "居民身份证第二事项", "aliases": []})
    other.update(changes)
    return other


def test_valid_catalogue_loads(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    catalogue = load_catalogues([root], bundled=False)
    assert catalogue.get(NAME).id == "resident-id-card-first"


def test_yaml_syntax_error_names_the_line(write_catalogue, item_data):
    text = yaml.safe_dump(item_data, allow_unicode=True, sort_keys=False).replace(
        "name: 居民身份证首次申领", "name: [unclosed"
    )
    root = write_catalogue({ITEM: text})
    line = line_no(root, "items/" + ITEM, "name: [unclosed") + 1
    (found,) = problems(root)
    assert found.startswith(f"cat/items/{ITEM}:{line}: [E001] YAML syntax error:")


def test_top_level_list_is_refused(write_catalogue):
    root = write_catalogue({ITEM: "- just\n- a list\n"})
    assert problems(root) == [
        f"cat/items/{ITEM}:1: [E002] the file must hold one mapping (key: value pairs) at the top, not list."
    ]


def test_duplicate_key_is_refused(write_catalogue, item_data):
    text = yaml.safe_dump(item_data, allow_unicode=True, sort_keys=False) + "office_hours: 全天\n"
    root = write_catalogue({ITEM: text})
    line = len(text.splitlines())
    assert (
        f"cat/items/{ITEM}:{line}: {NAME}: [E003] key 'office_hours' appears twice in the same mapping; keep one."
        in problems(root)
    )


def test_file_name_must_be_the_id(write_catalogue, item_data):
    root = write_catalogue({"ps/wrong-name.yaml": item_data})
    line = line_no(root, "items/ps/wrong-name.yaml", "id: resident-id-card-first")
    assert problems(root) == [
        f"cat/items/ps/wrong-name.yaml:{line}: {NAME}: id: [E004] the file name must be the item's id: "
        "rename the file to 'resident-id-card-first.yaml' or change the id."
    ]


def test_unknown_field_is_named(write_catalogue, item_data):
    item_data["colour"] = "红"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "colour:")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: colour: [E010] unknown field 'colour'; "
        "check its spelling against `assistant knowledge schema`"
    ]


def test_missing_required_field(write_catalogue, item_data):
    del item_data["office_hours"]
    root = write_catalogue({ITEM: item_data})
    assert problems(root) == [f"cat/items/{ITEM}:1: {NAME}: office_hours: [E010] field required"]


def test_wrong_enum_value_lists_the_allowed_ones(write_catalogue, item_data):
    item_data["materials"][0]["form"] = "扫描件"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "form: 扫描件")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: materials[0].form: [E010] Input should be '原件', '复印件' or "
        "'原件和复印件', got '扫描件'"
    ]


def test_fee_charged_without_items(write_catalogue, item_data):
    item_data["fee"]["items"] = []
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "fee:")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: fee: [E010] Value error, charged is true but no fee items are listed"
    ]


def test_duplicate_names_across_files(write_catalogue, item_data):
    other = second_item(item_data, name=NAME)
    root = write_catalogue({ITEM: item_data, "ps/resident-id-card-second.yaml": other})
    line = line_no(root, "items/ps/resident-id-card-second.yaml", f"name: {NAME}")
    assert (
        f"cat/items/ps/resident-id-card-second.yaml:{line}: {NAME}: name: [E101] name '{NAME}' is already used by cat/items/{ITEM}; names must be unique within a catalogue."
        in problems(root)
    )


def test_duplicate_ids_in_two_folders(write_catalogue, item_data):
    other = second_item(item_data, id="resident-id-card-first")
    root = write_catalogue({ITEM: item_data, "zz/resident-id-card-first.yaml": other})
    line = line_no(root, "items/zz/resident-id-card-first.yaml", "id: resident-id-card-first")
    assert problems(root) == [
        f"cat/items/zz/resident-id-card-first.yaml:{line}: 居民身份证第二事项: id: [E102] id 'resident-id-card-first' "
        f"is already used by cat/items/{ITEM}; ids must be unique."
    ]


def test_alias_naming_another_item(write_catalogue, item_data):
    other = second_item(item_data, aliases=[NAME])
    root = write_catalogue({ITEM: item_data, "ps/resident-id-card-second.yaml": other})
    line = line_no(root, "items/ps/resident-id-card-second.yaml", f"- {NAME}")
    assert problems(root) == [
        f"cat/items/ps/resident-id-card-second.yaml:{line}: 居民身份证第二事项: aliases.0: [E103] alias '{NAME}' is "
        f"the name of another item or bundle (cat/items/{ITEM}); remove the alias."
    ]


def test_a_service_listed_as_uncovered_must_not_name_an_item(write_catalogue, item_data):
    item_data["aliases"] = ["办身份证"]
    root = write_catalogue({ITEM: item_data}, info={**INFO, "uncovered": ["工作居住证", "办身份证"]})
    line = line_no(root, f"items/{ITEM}", "- 办身份证")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: aliases.0: [E127] '办身份证' names this entry but catalogue.yaml lists it "
        "under uncovered (services the catalogue lacks); remove it from one of the two."
    ]


def test_bundle_member_must_exist(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data}, bundles={"test-bundle.yaml": BUNDLE})
    line = line_no(root, "bundles/test-bundle.yaml", "- 不存在的事项")
    assert problems(root) == [
        f"cat/bundles/test-bundle.yaml:{line}: 测试一件事: members.1: [E110] bundle member '不存在的事项' is not "
        "an item of the catalogue; use the exact item name."
    ]


def test_bundle_lists_a_member_twice(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data}, bundles={"test-bundle.yaml": {**BUNDLE, "members": [NAME, NAME]}})
    line = line_no(root, "bundles/test-bundle.yaml", f"- {NAME}", nth=2)
    assert problems(root) == [
        f"cat/bundles/test-bundle.yaml:{line}: 测试一件事: members.1: [E124] bundle '测试一件事' lists member "
        f"'{NAME}' twice."
    ]


def test_option_adds_unknown_material(write_catalogue, item_data):
    item_data["scenario"][0]["options"][0]["add_materials"].append("no_such_doc")
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "- no_such_doc")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: scenario.0.options.0.add_materials.2: [E111] option 'yes' refers to "
        "material 'no_such_doc', which the item does not list under materials."
    ]


def test_scenario_material_never_added(write_catalogue, item_data):
    item_data["scenario"][0]["options"][0]["add_materials"] = ["guardian_id_card"]
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "base: false", nth=2)
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: materials.3.base: [E112] material 'guardianship_proof' is marked "
        "base: false but no scenario option adds it; add it to an option's add_materials or set base: true."
    ]


def test_follow_up_must_hang_under_an_earlier_question(write_catalogue, item_data):
    item_data["scenario"][0]["when"] = {"question": "subsistence", "options": ["yes"]}
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "question: subsistence")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: scenario.0.when.question: [E113] question 'under_16' depends on "
        "question 'subsistence', which is not defined before it in this item."
    ]


def test_follow_up_must_hang_under_an_existing_option(write_catalogue, item_data):
    item_data["scenario"][1]["when"] = {"question": "under_16", "options": ["maybe"]}
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "- maybe")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: scenario.1.when.options.0: [E114] question 'subsistence' depends on "
        "option 'maybe', which question 'under_16' does not offer."
    ]


def test_duplicate_question_id(write_catalogue, item_data):
    item_data["scenario"][1]["id"] = "under_16"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "id: under_16", nth=2)
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: scenario.1.id: [E115] question id 'under_16' appears more than once "
        "in this item; ids must be unique."
    ]


def test_a_synonym_naming_two_options_of_one_question(write_catalogue, item_data):
    # a story saying 孩子 would choose neither option: the synonym must stay on one
    item_data["scenario"][0]["options"][0]["synonyms"] = ["小孩", "孩子"]
    item_data["scenario"][0]["options"][1]["synonyms"] = ["成年", "孩子"]
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "- 孩子", nth=2)
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: scenario.0.options.1.synonyms.1: [E130] synonym '孩子' of option 'no' "
        "also names option 'yes' of question 'under_16'; a story saying it would choose neither: keep it on one option."
    ]


def test_a_shared_option_word_naming_another_option_of_the_question(write_catalogue, item_data):
    # catalogue.yaml gives every 已满十六周岁 option the word 孩子, which this item's 未满十六周岁 option reads
    item_data["scenario"][0]["options"][0]["synonyms"] = ["孩子"]
    root = write_catalogue({ITEM: item_data}, info={**INFO, "option_synonyms": {"已满十六周岁": ["成年", "孩子"]}})
    line = line_no(root, "items/" + ITEM, "label: 已满十六周岁")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: scenario.0.options.1.label: [E131] '孩子', which catalogue.yaml's "
        "option_synonyms gives every option labelled '已满十六周岁', also names option 'yes' of question 'under_16'; "
        "a story saying it would choose neither: remove it from one of the two."
    ]


def test_shared_option_words_for_a_label_no_option_has(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data}, info={**INFO, "option_synonyms": {"未满16周岁": ["孩子"]}})
    line = line_no(root, "catalogue.yaml", "未满16周岁")
    assert problems(root) == [
        f"cat/catalogue.yaml:{line}: 测试目录: option_synonyms.未满16周岁: [E132] option_synonyms lists '未满16周岁', "
        "which is the label of no scenario option of this catalogue; use an option's exact label."
    ]


def test_promised_time_limit_longer_than_legal(write_catalogue, item_data):
    item_data["promised_time_limit"]["amount"] = 90
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "promised_time_limit:")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: promised_time_limit: [E116] promised time limit "
        "(90自然日（示例市承诺时限（虚构示例）。）) is longer than the legal time limit "
        "(60自然日（自提交《居民身份证申领登记表》之日起六十日内发放；交通不便的地区可以适当延长，延长不超过三十日。）)."
    ]


def test_working_days_compared_with_calendar_days(write_catalogue, item_data):
    item_data["promised_time_limit"] = {"amount": 45, "unit": "工作日"}  # 63 calendar days > 60
    root = write_catalogue({ITEM: item_data})
    assert [p.split("[")[1][:4] for p in problems(root)] == ["E116"]


def test_one_material_id_means_one_document(write_catalogue, item_data):
    other = second_item(item_data)
    other["materials"][0]["name"] = "户口本"
    root = write_catalogue({ITEM: item_data, "ps/resident-id-card-second.yaml": other})
    line = line_no(root, "items/ps/resident-id-card-second.yaml", "name: 户口本")
    assert problems(root) == [
        f"cat/items/ps/resident-id-card-second.yaml:{line}: 居民身份证第二事项: materials.0.name: [E117] material id "
        f"'household_register' is named '户口本' here but '居民户口簿' in cat/items/{ITEM}; one id must mean one "
        "document: rename the id or align the names."
    ]


def test_shared_question_id_must_mean_the_same_question(write_catalogue, item_data):
    other = second_item(item_data)
    other["scenario"][0]["text"] = "申请人多大了？"
    root = write_catalogue({ITEM: item_data, "ps/resident-id-card-second.yaml": other})
    line = line_no(root, "items/ps/resident-id-card-second.yaml", "id: under_16")
    assert problems(root) == [
        f"cat/items/ps/resident-id-card-second.yaml:{line}: 居民身份证第二事项: scenario.0.id: [E118] question id "
        f"'under_16' differs here from the question of the same id in cat/items/{ITEM} (text or option ids); "
        "a shared question id must mean the same question."
    ]


def test_fictional_local_data_must_say_so(write_catalogue, item_data):
    item_data["location"][0]["address"] = "北京市东城区正义路1号"
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "address: 北京市")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: location.0.address: [E120] in the fictional catalogue of 示例市, local "
        "field '北京市东城区正义路1号' must say it is 示例市 (fictional): include '示例市' in it."
    ]


def test_complete_catalogue_needs_two_process_steps(write_catalogue, item_data):
    item_data["process"]["steps"] = item_data["process"]["steps"][:1]
    root = write_catalogue({ITEM: item_data})
    line = line_no(root, "items/" + ITEM, "steps:")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: process.steps: [E121] element 'process' has no real content "
        "(fewer than two steps); this catalogue requires every core element to be filled."
    ]


def test_complete_catalogue_refuses_placeholder_conditions(write_catalogue, item_data):
    item_data["conditions"] = ["无"]
    root = write_catalogue({ITEM: item_data})
    assert [p.split(": [")[1][:4] for p in problems(root)] == ["E121"]


def test_imported_catalogue_may_mark_elements_unknown(write_catalogue, item_data):
    item_data["unknown"] = ["basis", "colour"]
    root = write_catalogue({ITEM: item_data}, info={**INFO, "require_complete": False})
    line = line_no(root, "items/" + ITEM, "- colour")
    assert problems(root) == [
        f"cat/items/{ITEM}:{line}: {NAME}: unknown.1: [E123] unknown lists 'colour', which is not an element key; "
        "allowed: " + ", ".join(ELEMENTS) + "."
    ]


def test_missing_catalogue_yaml(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data}, info=None)
    assert problems(root) == [
        "cat: [E006] catalogue directory has no catalogue.yaml; add one (name, region, fictional, version)."
    ]


def test_a_broken_file_never_half_loads(write_catalogue, item_data):
    good = second_item(item_data)
    item_data["fee"]["charged"] = "maybe"
    root = write_catalogue({ITEM: item_data, "ps/resident-id-card-second.yaml": good})
    with pytest.raises(CatalogueError) as info:
        load_catalogues([root], bundled=False)
    assert len(info.value.problems) == 1
    assert "fee.charged" in str(info.value)
