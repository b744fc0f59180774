"""`rasa test` over the multi-turn test stories (nlu/rasa/tests): every intent and every predicted action."""

from __future__ import annotations

import subprocess

import pytest

from assistant.dialogue.training import rasa_env, rasa_executable

pytestmark = pytest.mark.slow


def test_every_test_story_is_predicted_exactly(dialogue_model, tmp_path):
    project = dialogue_model.parents[1] / "project"
    result = subprocess.run(
        [
            str(rasa_executable()),
            "test",
            "core",
            "--model",
            str(dialogue_model),
            "--stories",
            "tests/test_stories.yml",
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
        ],
        cwd=project,
        env=rasa_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, details
    assert "story: " not in (failed.read_text(encoding="utf-8") if failed.exists() else "")
