"""``python -m assistant.bench.tracker_store`` runs in Rasa's environment and prints each of its figures."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import REPO

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (REPO / ".rasa-venv" / "bin" / "python").exists(), reason="no .rasa-venv (make setup)"),
]


def test_the_store_benchmark_prints_the_store_before_and_now_and_both_replaced_hot_spots():
    done = subprocess.run(
        [sys.executable, "-m", "assistant.bench.tracker_store", "--turns", "30"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("  ")]
    assert len(lines) == 7, done.stdout
    assert lines[0].startswith("  before: Rasa's SQLTrackerStore") and "ms per turn" in lines[0]
    assert any("sessions of 6" in line for line in lines)
    assert sum("Rasa's" in line for line in lines) == 3  # the store before, and each hot spot's own code
