"""``assistant knowledge validate`` on the legal review: an old review is a warning (exit 0), a repealed text an
error (exit 1)."""

from __future__ import annotations

import datetime as dt

from conftest import INFO, ITEM, NAME
from typer.testing import CliRunner

from assistant.cli import app

runner = CliRunner()


def validate(*args: str):
    return runner.invoke(app, ["knowledge", "validate", *args])


def reviewed_days_ago(item_data: dict, days: int) -> str:
    date = (dt.date.today() - dt.timedelta(days=days)).isoformat()
    item_data["legal_review"]["date"] = date
    return date


def test_old_review_is_warned_about_and_the_exit_status_stays_0(write_catalogue, item_data):
    date = reviewed_days_ago(item_data, 400)
    root = write_catalogue({ITEM: item_data})
    result = validate(str(root))
    assert result.exit_code == 0
    assert result.stdout.startswith("OK: 1 items, 0 bundles")
    assert (
        f": {NAME}: legal_review.date: [W001] legal review of {date} is 400 days old, more than 365; " in result.stderr
    )
    assert "1 warning(s); the catalogue is valid." in result.stderr


def test_review_max_age_option_sets_the_allowed_age(write_catalogue, item_data):
    reviewed_days_ago(item_data, 40)
    root = write_catalogue({ITEM: item_data})
    assert validate(str(root)).stderr == ""
    result = validate(str(root), "--review-max-age", "30")
    assert result.exit_code == 0
    assert "[W001]" in result.stderr and "is 40 days old, more than 30;" in result.stderr


def test_catalogue_setting_applies_unless_the_option_overrides_it(write_catalogue, item_data):
    reviewed_days_ago(item_data, 40)
    root = write_catalogue({ITEM: item_data}, info={**INFO, "review_max_age_days": 30})
    result = validate(str(root))
    assert result.exit_code == 0
    assert "is 40 days old, more than 30;" in result.stderr
    assert validate(str(root), "--review-max-age", "60").stderr == ""


def test_repealed_text_in_the_basis_fails_validation(write_catalogue, item_data):
    item_data["basis"][0]["law"] = "《中华人民共和国企业法人登记管理条例》"
    root = write_catalogue({ITEM: item_data})
    result = validate(str(root))
    assert result.exit_code == 1
    assert (
        f"{NAME}: basis.0.law: [E126] cites 《中华人民共和国企业法人登记管理条例》, repealed on 2022-03-01 by "
        "《中华人民共和国市场主体登记管理条例》（国务院令第746号）第五十五条; cite the text in force instead: "
        "《中华人民共和国市场主体登记管理条例》." in result.stderr
    )
    assert "1 problem(s); nothing was loaded." in result.stderr
