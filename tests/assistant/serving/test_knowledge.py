"""A reload inside a running process: the snapshot still answering is untouched, the new one is a fresh start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import INFO, REPO

from knowledge.catalogue import BUNDLED

pytestmark = pytest.mark.slow

KEPT = [
    "public-security/resident-id-card-first",
    "public-security/resident-id-card-reissue",
    "civil-affairs/marriage-registration",
]
REMOVED = "exit-entry/ordinary-passport-issuance"  # in A only
ADDED = "exit-entry/hk-macao-travel-permit-issuance"  # in B only
QUESTIONS = [
    "护照怎么办",
    "办护照要带什么",
    "首次申请护照多少钱",
    "港澳通行证怎么办",
    "去香港要办什么证",
    "身份证丢了咋办",
    "结昏证要带啥",
    "领证要多久",
    "小孩办身份证要什么材料",
    "今天天气怎么样",
]

_FRESH = """
import json, sys
from pathlib import Path
from assistant.qa import QuestionAnswerer
from assistant.retrieval.index import Index
qa = QuestionAnswerer.from_index(Index.load(Path(sys.argv[1])))
print(json.dumps([qa.ask(q).model_dump() for q in json.loads(sys.argv[2])], ensure_ascii=False))
"""


def _write(root: Path, items: list[str]) -> None:
    shutil.rmtree(root / "items", ignore_errors=True)
    (root / "items").mkdir(parents=True)
    (root / "catalogue.yaml").write_text(json.dumps(INFO, ensure_ascii=False), encoding="utf-8")
    for rel in items:
        target = root / "items" / f"{rel}.yaml"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BUNDLED / "items" / f"{rel}.yaml", target)


def _answers(qa) -> list[dict]:
    return [qa.ask(q).model_dump() for q in QUESTIONS]


def test_a_reload_leaves_the_answering_snapshot_alone_and_reads_as_a_fresh_process(tmp_path):
    from assistant.serving.knowledge import KnowledgeHolder

    catalogue = tmp_path / "catalogue"
    _write(catalogue, [*KEPT, REMOVED])
    holder = KnowledgeHolder([catalogue], tmp_path / "index")
    a = holder.reload()
    before = _answers(a.qa)
    passport = a.index.normaliser("普通护照签发")
    assert a.index.segmenter.lcut(passport) == [passport]

    _write(catalogue, [*KEPT, ADDED])  # one name removed, one added
    during: list[list[dict]] = []
    failures: list[BaseException] = []

    def reload() -> None:
        try:
            holder.reload()
        except BaseException as exc:  # surfaced below
            failures.append(exc)

    builder = threading.Thread(target=reload)
    builder.start()
    while builder.is_alive():
        during.append(_answers(a.qa))  # A keeps answering while B is built in this process
    builder.join()
    assert not failures
    assert during and all(answers == before for answers in during)
    assert _answers(a.qa) == before
    assert a.index.segmenter.lcut(passport) == [passport]

    b = holder.current
    assert b is not a
    assert b.index.segmenter.lcut(passport) != [passport]  # a removed name is no word of the new index
    fresh = subprocess.run(
        [sys.executable, "-c", _FRESH, str(b.index.directory), json.dumps(QUESTIONS, ensure_ascii=False)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    assert _answers(b.qa) == json.loads(fresh.stdout)
    assert {x["item"] for x in _answers(b.qa)} >= {"往来港澳通行证签发"}
