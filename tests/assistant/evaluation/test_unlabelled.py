"""The count of answers given to the real messages nobody labelled: rows of the splits and rows whose column A
holds an answer are left out, and each outcome is counted."""

from __future__ import annotations

from assistant.evaluation.unlabelled import Row, Tally, half, labelled, unlabelled_rows
from assistant.qa import Answer


def answer(kind: str, item: str | None = None) -> Answer:
    return Answer(query="", item=item, element=None, answer="…", confidence=0.5, candidates=[], kind=kind)


def test_the_labelled_rows_the_swapped_rows_and_rows_without_a_message_are_left_out():
    taken = labelled()
    assert ("自然语言理解", 3) in taken and len(taken) > 800  # both splits, by sheet and row
    rows = [
        Row("自然语言理解", 3, "置换或报废车辆后能否继续使用原旧车的号牌号码？"),  # in real_dev
        Row("自然语言理解", 150, "答：可以。"),  # question and answer swapped in the source
        Row("情感分类", 99999, "*** ** 123"),  # no message
        Row("情感分类", 99998, "请问办身份证要多久"),
    ]
    assert [r.row for r in unlabelled_rows(rows, taken)] == [99998]


def test_the_halves_split_the_rows_by_excel_row_and_together_are_all_of_them():
    rows = [Row("情感分类", n, "请问办身份证要多久") for n in range(2, 9)] + [Row("政务问答", 3, "居住证怎么办")]
    even, odd = list(half(rows, "even")), list(half(rows, "odd"))
    assert [r.row for r in even] == [2, 4, 6, 8] and [(r.sheet, r.row) for r in odd][-1] == ("政务问答", 3)
    assert sorted(even + odd, key=rows.index) == rows == list(half(rows, None))


def test_each_outcome_is_counted_and_the_answers_are_kept_by_guide():
    refused = answer("out_of_scope").model_copy(update={"parts": [answer("answer", "居住证申领"), answer("clarify")]})
    replies = {"a": answer("answer", "居住证申领"), "b": refused, "c": answer("clarify")}
    rows = [Row("情感分类", n, text) for n, text in enumerate("abca", 2)]
    tally = Tally.of(rows, lambda text: replies[text])
    assert tally.kinds == {"answer": 2, "out_of_scope": 1, "clarify": 1}
    assert tally.items == {"居住证申领": 2}
    text = tally.text(show=1)
    assert text.startswith("4 unlabelled real messages: 2 answered (50.0%), 1 clarified, 1 refused")
    assert "居住证申领" in text and "情感分类" in text
    # a refused message's further asks answered anyway (from a guide that ranks first for a few words) are counted
    assert tally.after_refusal == 2 and "after a refused first ask: 2" in text


def test_a_saved_run_tells_which_replies_a_change_moved(tmp_path):
    rows = [Row("情感分类", n, text) for n, text in enumerate("abc", 2)]
    before = {"a": answer("answer", "居住证申领"), "b": answer("out_of_scope"), "c": answer("clarify")}
    saved = tmp_path / "before.jsonl"
    Tally.of(rows, lambda text: before[text]).save(saved)
    after = {**before, "a": answer("out_of_scope"), "c": answer("clarify").model_copy(update={"answer": "请问？"})}
    text = Tally.of(rows, lambda text: after[text]).against(saved, show=5)
    # a refused answer moved in kind; a reworded clarification changed in text only; the refusal did not change
    assert text.splitlines()[0] == f"against {saved}: 2 replies changed, 1 of them in kind or item"
    assert "情感分类 2  answer 居住证申领 -> out_of_scope -" in text and "情感分类 3" not in text
