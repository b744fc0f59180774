"""Draws and orders fixed by each thing's text: a catalogue edit moves only what it adds or removes."""

from __future__ import annotations

import os
import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from nlu.sampling import batches, digest, order, pick

texts = st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=40, unique=True)


def test_a_digest_is_the_same_in_every_process():
    # what a build draws must not depend on Python's per-process string hashing (PYTHONHASHSEED)
    code = "from nlu.sampling import digest; print(digest(13, '{x}要带什么', '结婚登记'))"
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
        for env in ({**os.environ, "PYTHONHASHSEED": "1"}, {**os.environ, "PYTHONHASHSEED": "2"})
    }
    assert runs == {f"{digest(13, '{x}要带什么', '结婚登记')}\n"}


@given(texts, st.text(min_size=1, max_size=6), st.integers(min_value=1, max_value=8))
def test_a_new_text_changes_a_draw_only_where_it_is_drawn_itself(before, new, k):
    if new in before:
        return
    drawn, now = pick(before, k, "salt"), pick([*before, new], k, "salt")
    if new in now:
        # it takes one place; the others are the earlier draw's, less its last
        assert [t for t in now if t != new] == drawn[: len(now) - 1]
    else:
        assert now == drawn


@given(texts, st.text(min_size=1, max_size=6))
def test_a_new_text_keeps_the_order_of_the_others(before, new):
    if new in before:
        return
    assert [t for t in order([*before, new], [*before, new], 1) if t != new] == order(before, before, 1)


@given(st.lists(st.text(min_size=1, max_size=6), min_size=20, max_size=60, unique=True), st.text(min_size=1))
def test_a_new_thing_changes_its_own_batch_only(before, new):
    if new in before or -(-len(before) // 8) != -(-(len(before) + 1) // 8):
        return  # the number of batches changes with it: every thing may move
    old = batches(before, before, 8, 2)
    now = batches([*before, new], [*before, new], 8, 2)
    changed = [b for b in now if b not in old]
    assert len(changed) == 1 and new in changed[0]
    rest = sorted(set(changed[0]) - {new})
    assert not rest or rest in [sorted(b) for b in old]


def test_each_salt_orders_its_own_way():
    words = [f"词{n}" for n in range(50)]
    assert order(words, words, 1) != order(words, words, 2)
    assert sorted(order(words, words, 1)) == sorted(words)
