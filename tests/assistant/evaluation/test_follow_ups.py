"""The replay of the splits' short questions as a returning person's follow-ups: each outcome is counted where a
person would notice it (an out-of-scope question answered in a conversation, a follow-up answered from the wrong
service)."""

from __future__ import annotations

from assistant.evaluation.evaluate import Case
from assistant.evaluation.follow_ups import Everyday, Replay
from assistant.qa import Answer, Candidate

NAMES = ["出生登记", "内地居民结婚登记", "居民身份证补领"]


def answer(kind: str, item: str | None = None, element: str | None = None, best: str | None = None) -> Answer:
    candidates = [Candidate(name=best, score=0.5)] if best else []
    return Answer(query="", item=item, element=element, answer="…", confidence=0.5, candidates=candidates, kind=kind)


def test_each_short_question_is_asked_in_the_contexts_a_conversation_would_give_it():
    asked: list[tuple[str, str | None]] = []

    def ask(query: str, context: str | None) -> Answer:
        asked.append((query, context))
        if query == "今天天气怎么样":
            # refused alone; answered (wrongly) in a conversation about its best candidate only
            return answer("answer", context) if context == "出生登记" else answer("out_of_scope", best="出生登记")
        if context == "内地居民结婚登记" or query == "结婚要带什么":
            return answer("answer", "内地居民结婚登记", "materials")
        return answer("answer", context, "fee")

    cases = [
        Case("今天天气怎么样", None, None),
        Case("结婚要带什么", "内地居民结婚登记", "materials"),
        Case("身份证补办多少钱", "居民身份证补领", "materials"),  # the element asked is not the one answered
        Case("领导您好，" * 10 + "请问结婚要带什么？", "内地居民结婚登记", "materials"),  # long: not replayed
    ]
    replay = Replay.of(cases, NAMES, ask, seed=1)
    # the out-of-scope question: alone, then in its best candidate's context and in a random one
    assert asked[:2] == [("今天天气怎么样", None), ("今天天气怎么样", "出生登记")]
    assert replay.out_asked == 2 and 1 <= replay.out_answered <= 2
    assert (replay.own_asked, replay.own_item, replay.own_element) == (2, 2, 1)
    # in another entry's context: the marriage question still finds its item, the ID-card one follows the context
    assert (replay.other_asked, replay.other_item) == (2, 1)
    assert all(not query.startswith("领导") for query, _ in asked)
    text = replay.text()
    assert "out of scope, asked in a context:" in text and "of 2 answered (lower is better)" in text
    assert "2 of 2 the right item, 1 the right element too" in text


def test_each_everyday_follow_up_is_asked_in_every_conversation_and_its_outcome_told():
    def ask(query: str, context: str | None) -> Answer:
        if query == "能异地办吗":  # taken to another entry in one conversation
            return answer("answer", "异地就医备案" if context == "出生登记" else context)
        if query == "表在哪下载":  # said beyond the conversation's guide, or refused as beyond the assistant
            text = f"这一问我没能在“{context}”的办事指南中找到答案" if context == "出生登记" else "抱歉，不在范围内"
            return Answer(
                query=query, item=None, element=None, answer=text, confidence=0.2, candidates=[], kind="out_of_scope"
            )
        return answer("answer", context)

    everyday = Everyday.of(NAMES, ask, ["要本人去吗", "能异地办吗", "表在哪下载"])
    assert everyday.outcomes["要本人去吗"]["answered"] == 3
    assert (everyday.outcomes["能异地办吗"]["answered"], everyday.outcomes["能异地办吗"]["another entry"]) == (2, 1)
    assert everyday.outcomes["表在哪下载"]["beyond its guide"] == 1 and everyday.outcomes["表在哪下载"]["refused"] == 2
    text = everyday.text()
    assert text.startswith("3 everyday follow-ups in every entry's conversation: 5 answered")
    assert "  能异地办吗  2 answered, 1 another entry" in text and "要本人去吗" not in text.split("\n", 1)[1]
