"""Comparing seeds: each development split's figures per seed with their mean and range; held-out splits refused
before anything is built."""

from __future__ import annotations

from pathlib import Path

from assistant.evaluation.evaluate import Report
from assistant.evaluation.seeds import main, run, table


def report(right: int, in_scope: int = 10, refused_out: int = 0, out: int = 0) -> Report:
    return Report(
        cases=in_scope + out,
        in_scope=in_scope,
        item_at_1=right,
        oos_expected=out,
        oos_true=refused_out,
        oos_refused=refused_out,
    )


def test_each_split_gets_a_row_per_figure_with_every_seed_its_mean_and_its_range():
    figures = {13: report(8, out=4, refused_out=2), 14: report(9, out=4, refused_out=3), 15: report(7, out=4)}
    runs = run([Path("tests/eval/dev.tsv")], [13, 14, 15], lambda seed, path: figures[seed], progress=lambda _: None)
    lines = table(runs).splitlines()
    assert lines[0].split()[:5] == ["split", "figure", "13", "14", "15"]
    item = next(line for line in lines if "item_accuracy@1" in line).split()
    assert item[2:] == ["80.0", "90.0", "70.0", "80.0", "70.0-90.0"]
    recall = next(line for line in lines if "out_of_scope_recall" in line).split()
    assert recall[2:] == ["50.0", "75.0", "0.0", "41.7", "0.0-75.0"]
    assert "in_scope_wrongly_refused" in table(runs)  # none refused is a figure too
    assert "reply_contains_expected" not in table(runs)  # no question with expected words: no row
    in_scope_only = run([Path("dev3.tsv")], [13], lambda seed, path: report(9), progress=lambda _: None)
    assert "out_of_scope_recall" not in table(in_scope_only)


def test_a_held_out_split_is_refused_before_any_index_is_built(capsys):
    assert main(["tests/eval/dev.tsv", "tests/eval/real/real_test.tsv"]) == 2
    assert "real_test.tsv held out" in capsys.readouterr().err


def test_a_missing_split_is_named(capsys, tmp_path):
    assert main([str(tmp_path / "nowhere.tsv")]) == 2
    assert "no such split" in capsys.readouterr().err
