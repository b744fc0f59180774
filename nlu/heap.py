"""Keep the cyclic garbage collector off what a long-running process loaded once (both environments import this).

A dialogue engine holds about 540,000 objects once its model is loaded (TensorFlow, spaCy, Rasa), the application
a comparable number (its index, jieba's dictionary, the catalogue). CPython's full collection walks every one of
them: about 200 ms on this machine, during which the process answers nobody. Under load a full collection comes
every 4-5 seconds in each of those processes, and every conversation waiting on it waits longer (measured with
the load test's 100 WeChat followers: 15-21 such pauses a minute per process, 2.7-4.4 s in all).

:func:`freeze_heap` moves what is alive now into the permanent generation (``gc.freeze``), which collections skip;
those objects are still freed by reference counting when nothing refers to them any more. It first unfreezes and
collects, so that garbage cycles of what was loaded before (an old catalogue after a reload) are freed, not kept.
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def freeze_heap(why: str) -> int:
    """Collect, then exempt every object alive now from later collections; returns how many were exempted.

    Call it once a process has loaded what it keeps (a model, an index), and again after it replaced that.
    """
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info(
        "%s: %d objects exempted from garbage collection (%.0f ms)", why, frozen, 1000 * (time.perf_counter() - started)
    )
    return frozen
