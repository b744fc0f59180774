"""Exempting what a process loaded from garbage collection (``nlu.heap``) keeps it alive and frees what was
replaced: a knowledge reload must not leave the previous catalogue in memory for good."""

from __future__ import annotations

import gc
import weakref

import pytest

from nlu.heap import freeze_heap


class Loaded:
    """Stands for a loaded catalogue: its parts refer to each other (a reference cycle)."""

    def __init__(self) -> None:
        self.part = {"owner": self}


@pytest.fixture
def unfrozen():
    yield
    gc.unfreeze()  # the rest of the test session collects as usual


def test_what_was_loaded_is_kept_and_skipped_by_collections_until_replaced(unfrozen):
    loaded = Loaded()
    alive = weakref.ref(loaded)
    assert freeze_heap("first load") > 0
    assert gc.get_freeze_count() > 0

    del loaded  # replaced by a reload: only a cycle refers to it now
    gc.collect()
    assert alive() is not None  # exempt from collections while frozen: nothing walks it

    freeze_heap("reload")  # a reload freezes again: the replaced cycle is freed first
    assert alive() is None


def test_what_becomes_garbage_after_the_freeze_is_still_collected(unfrozen):
    freeze_heap("loaded")
    later = Loaded()
    alive = weakref.ref(later)
    del later
    gc.collect()
    assert alive() is None
