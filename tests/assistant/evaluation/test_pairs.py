"""The pair shares behind the console's grouping threshold, on hand-made vectors."""

from __future__ import annotations

import numpy as np

from assistant.evaluation.evaluate import Case
from assistant.evaluation.pairs import shares


def test_pairs_are_counted_by_whether_they_ask_one_element_of_one_entry_or_two_entries():
    cases = [
        Case("身份证丢了怎么补", "居民身份证补领", "process"),
        Case("身份证掉了咋补办", "居民身份证补领", "process"),
        Case("补身份证要带什么", "居民身份证补领", "materials"),  # same entry, another element: neither kind
        Case("结婚登记要带什么", "内地居民结婚登记", "materials"),
    ]
    vectors = np.array([[1.0, 0.0], [0.8, 0.6], [0.6, 0.8], [0.0, 1.0]])
    # the one rephrasing pair is at 0.8; of the three pairs about two entries, one (0.8) reaches 0.7
    assert shares(cases, vectors, [0.7, 0.9]) == [(0.7, 1.0, 1 / 3), (0.9, 0.0, 0.0)]
