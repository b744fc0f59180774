"""The calibration tool's sweep of the whole guides' weight in BM25: held-out splits refused before anything is
loaded (a weight is chosen on development splits only)."""

from __future__ import annotations

import pytest

from assistant.evaluation.calibrate import main


def test_a_guide_weight_sweep_over_a_held_out_split_is_refused_before_the_index_is_opened(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["tests/eval/dev.tsv", "tests/eval/real/real_test.tsv", "--guide-weights", "0", "0.5"])
    assert exit_.value.code == 2
    assert "tests/eval/real/real_test.tsv held out" in capsys.readouterr().err
