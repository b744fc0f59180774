"""The ``assistant`` command line as a catalogue author and window staff use it."""

from __future__ import annotations

import json

from conftest import ITEM, NAME
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


def test_validate_good_catalogue(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    result = run("knowledge", "validate", str(root))
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 1 items, 0 bundles")


def test_validate_reports_every_problem_and_exits_1(write_catalogue, item_data):
    item_data["fee"]["charged"] = "maybe"
    item_data["colour"] = "红"
    root = write_catalogue({ITEM: item_data})
    result = run("knowledge", "validate", str(root))
    assert result.exit_code == 1
    assert "fee.charged: [E010]" in result.stderr
    assert "colour: [E010] unknown field 'colour'" in result.stderr
    assert "2 problem(s); nothing was loaded." in result.stderr


def test_schema_is_json_schema_with_chinese_descriptions():
    result = run("knowledge", "schema")
    schema = json.loads(result.stdout)
    assert schema["title"] == "Item"
    assert schema["properties"]["materials"]["description"] == "申请材料"


def test_list_json_shows_completeness(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    rows = json.loads(run("knowledge", "list", "--json", "--no-bundled", "-c", str(root)).stdout)
    assert rows == [
        {
            "id": "resident-id-card-first",
            "name": NAME,
            "kind": "item",
            "department": item_data["department"],
            "completeness": 0.953,
            "scenario_questions": 2,
        }
    ]


def test_show_by_alias(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    result = run("knowledge", "show", "办身份证", "--no-bundled", "-c", str(root))
    assert result.exit_code == 0
    assert "【申请材料】" in result.stdout and "居民户口簿" in result.stdout


def test_show_unknown_name(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    result = run("knowledge", "show", "不存在", "--no-bundled", "-c", str(root))
    assert result.exit_code == 1
    assert "no item or bundle named '不存在'" in result.stderr


def test_checklist_with_answers(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    result = run("checklist", NAME, "--answer", "under_16=yes", "--no-bundled", "-c", str(root), "--json")
    notice = json.loads(result.stdout)
    assert "监护人居民身份证" in [m["name"] for m in notice["materials"]]
    assert [q["id"] for q in notice["pending"]] == ["subsistence"]


def test_checklist_bad_answer_says_what_to_choose(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    result = run("checklist", NAME, "-a", "under_16=maybe", "--no-bundled", "-c", str(root))
    assert result.exit_code == 2
    assert "choose one of: yes, no" in result.stderr


def test_format_check_flags_hand_formatting(write_catalogue, item_data):
    root = write_catalogue({ITEM: item_data})
    result = run("knowledge", "format", "--check", str(root))
    assert result.exit_code == 1  # yaml.safe_dump output is not the canonical form
    assert run("knowledge", "format", str(root)).exit_code == 0
    assert run("knowledge", "format", "--check", str(root)).exit_code == 0
