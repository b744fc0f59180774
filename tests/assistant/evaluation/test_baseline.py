"""The full-text BM25 baseline: a guide is found by any word of its text, and `assistant eval --baseline` prints its
item accuracy@1 beside the assistant's."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.evaluation.baseline import FullTextBaseline
from assistant.evaluation.evaluate import Case
from nlu.segmenter import new_segmenter


@pytest.fixture(scope="module")
def baseline(bundled):
    return FullTextBaseline(bundled, new_segmenter())


def test_a_guide_is_found_by_words_only_its_body_holds(baseline):
    # 冷静期 is in the divorce guide's conditions and FAQ, not in any name or alias
    assert baseline.top("冷静期是多少天") == "内地居民离婚登记"
    assert baseline.top("？？？") is None  # no word of any guide: no answer, no error


def test_item_accuracy_counts_in_scope_cases_apart_by_length(baseline):
    long = (
        "您好，我和爱人商量好了要分开，上周一起去民政局递交了申请，工作人员说要等一段时间，请问这个冷静期到底是多少天？"
    )
    cases = [
        Case("冷静期是多少天", "内地居民离婚登记", "conditions"),
        Case("冷静期是多少天", "普通护照签发", "conditions"),  # the baseline's answer is not this one
        Case(long, "内地居民离婚登记", "conditions"),
        Case("今天天气怎么样", None, None),  # out of scope: not counted
    ]
    assert baseline.item_accuracy(cases) == {"all": 2 / 3, "long": 1.0, "short": 0.5}
    assert baseline.text(cases).endswith("item_accuracy@1 all 66.7%, long 100.0%, short 50.0%")


def test_eval_prints_the_baseline_beside_the_assistants_figures(holder, tmp_path):
    split = tmp_path / "split.tsv"
    split.write_text("query\titem\telement\n冷静期是多少天\t内地居民离婚登记\tconditions\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", str(split), "--baseline"])
    assert result.exit_code == 0, result.output
    assert "item_accuracy@1" in result.stdout
    assert "baseline: plain BM25 over the guides' full text, item_accuracy@1 all 100.0%" in result.stdout
