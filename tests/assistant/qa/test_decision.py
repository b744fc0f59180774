"""Fusion, clarification and refusal on hand-made candidates: no index, no model, milliseconds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.qa.analysis import Question, carried_words
from assistant.qa.answerer import QuestionAnswerer
from assistant.qa.decision import Decider, Thresholds, related
from assistant.qa.ranking import FUSION, Ranker, Scored, Signals, fuse, mention_weights
from assistant.replies import Replies
from knowledge.schema import Contacts

NAMES = ["居民身份证补领", "居民身份证换领", "内地居民结婚登记"]


class Naming(list):
    """Naming tokens per entry, as the index holds them."""

    def __init__(self, sets: list[set[str]]):
        super().__init__(frozenset(s) for s in sets)
        self.document_frequency: dict[str, int] = {}
        for words in self:
            for word in words:
                self.document_frequency[word] = self.document_frequency.get(word, 0) + 1


NAMING = Naming(
    [
        {"居民身份证", "补领", "身份证", "丢", "补办"},
        {"居民身份证", "换领", "身份证", "过期", "去"},
        {"结婚", "登记", "结婚证", "扯证"},
    ]
)
PRIORS = [1.0, 1.0, 1.0]


def question(
    content: list[str], words: list[str] | None = None, *, oos: float = 0.0, text: str = "问", element=None
) -> Question:
    return Question(query=text, text=text, words=words or content, content=content, out_of_scope=oos, element=element)


def test_fusion_weighs_bm25_relative_to_the_best_hit_cosine_and_mentions():
    scores = fuse([(0, 10.0), (1, 5.0)], [(1, 0.8), (2, -0.3)], {2: 1.0}, PRIORS)
    w_bm25, w_cosine, w_mention = FUSION
    assert scores[0] == pytest.approx(w_bm25)
    assert scores[1] == pytest.approx(w_bm25 * 0.5 + w_cosine * 0.8)
    assert scores[2] == pytest.approx(w_mention)  # a negative cosine adds nothing


def test_a_thin_guide_loses_to_a_complete_one_with_the_same_signals():
    scores = fuse([(0, 4.0), (1, 4.0)], [(0, 0.6), (1, 0.6)], {}, [1.0, 0.7])
    assert scores[0] > scores[1] * 5  # 0.7 ** 5


def test_mentions_weigh_by_length_against_the_longest():
    weights = mention_weights([("b", "居民身份证补领"), ("c", "结婚"), ("nowhere", "某某")], {"b": 0, "c": 2})
    assert weights == {0: 1.0, 2: pytest.approx(2 / 7)}


def test_a_follow_up_naming_nothing_is_about_the_conversations_entry():
    ranker = Ranker(NAMES, PRIORS, NAMING)
    scored = ranker.score(question([]), Signals(bm25=[(0, 3.0)], dense=[(0, 0.4)], mentioned={}), "内地居民结婚登记")
    assert scored.ranked[0][0] == 2
    assert scored.features[1:3] == (1.0, 1.0)  # coverage and mention of a follow-up are full


def test_coverage_is_the_share_of_content_weight_the_top_entry_names():
    ranker = Ranker(NAMES, PRIORS, NAMING)
    scored = ranker.score(question(["结婚证", "宠物"]), Signals(bm25=[(2, 2.0)], dense=[(2, 0.5)], mentioned={}))
    idf = ranker.idf
    assert scored.features[1] == pytest.approx(idf("结婚证") / (idf("结婚证") + idf("宠物")))
    assert scored.features[3] == 1.0  # both retrievers put it first


def decider(**thresholds) -> Decider:
    ranker = Ranker(NAMES, PRIORS, NAMING)
    return Decider(NAMES, ranker.uses, Thresholds(**thresholds))


CONFIDENT = (0.9, 1.0, 0.0, 1.0, 1.0)


def test_low_confidence_is_refused_with_the_candidates_it_had():
    scored = Scored(ranked=[(2, 1.0)], features=(0.1, 0.0, 0.0, 0.0, 0.2))
    decision = decider().decide(question(["宠物"]), scored)
    assert decision.kind == "out_of_scope" and decision.ranked == [(2, 1.0)]
    assert decision.confidence < Thresholds().answer


def test_chit_chat_without_content_is_refused_and_a_bare_question_is_asked_about():
    assert decider().decide(question([], oos=0.9), Scored(ranked=[])).kind == "out_of_scope"
    which = decider().decide(question([], oos=0.1), Scored(ranked=[]))
    assert (which.kind, which.choices) == ("clarify", ())


def test_chit_chat_in_a_conversation_is_not_a_follow_up_about_its_entry():
    held = Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=CONFIDENT)  # the conversation's entry, held
    # "在吗", "你是谁": nothing asked of the entry, whatever element the words look like
    chat = question([], oos=0.9, element="location")
    assert decider().decide(chat, held, in_context=True).kind == "out_of_scope"
    # "在哪" (0.73), "那要多少钱": a follow-up without a word of its own is about the entry
    assert decider().decide(question([], oos=0.73, element="location"), held, in_context=True).kind == "answer"
    assert decider().decide(question([], oos=0.05, element="fee"), held, in_context=True).kind == "answer"


def test_two_close_entries_of_one_family_that_nothing_tells_apart_are_asked_about():
    scored = Scored(ranked=[(0, 1.00), (1, 0.95)], features=CONFIDENT)
    decision = decider().decide(question(["身份证"], ["身份证", "多少钱"]), scored)
    assert (decision.kind, decision.choices) == ("clarify", (0, 1))


def test_a_word_naming_only_one_of_them_decides():
    scored = Scored(ranked=[(0, 1.00), (1, 0.95)], features=CONFIDENT)
    decision = decider().decide(question(["身份证", "补办"]), scored)
    assert (decision.kind, decision.entry) == ("answer", 0)


def test_a_single_character_the_templates_use_still_decides():
    # 补 is no content word here ("怎么补" is a template) but is part of 补领's naming
    scored = Scored(ranked=[(0, 1.00), (1, 0.95)], features=CONFIDENT)
    decision = decider().decide(question(["身份证"], ["身份证", "补"]), scored)
    assert decision.kind == "answer"


def test_words_of_equal_weight_naming_different_entries_decide():
    # 补办 names 补领 and 去 names 换领: alike in weight, yet each names only its own entry
    scored = Scored(ranked=[(0, 1.00), (1, 0.95)], features=CONFIDENT)
    decision = decider().decide(question(["身份证", "补办"], ["身份证", "去", "补办"]), scored)
    assert decision.kind == "answer"


def test_no_clarification_across_families_a_wide_margin_or_a_named_entry():
    family = Scored(ranked=[(0, 1.00), (2, 0.99)], features=CONFIDENT)
    assert decider().decide(question(["证"]), family).kind == "answer"
    wide = Scored(ranked=[(0, 1.00), (1, 0.50)], features=CONFIDENT)
    assert decider().decide(question(["身份证"]), wide).kind == "answer"
    named = Scored(ranked=[(0, 1.00), (1, 0.95)], mentioned={0: 1.0}, features=CONFIDENT)
    assert decider().decide(question(["身份证"]), named).kind == "answer"
    assert related("居民身份证补领", "居民身份证换领") and not related("居民身份证补领", "内地居民结婚登记")


class Fixed:
    """A retriever that finds what it was given."""

    def __init__(self, hits):
        self.hits = hits

    def search(self, text, k):
        return self.hits[:k]


class Reading:
    """An analyser that reads every message as the same question."""

    def __init__(self, read: Question):
        self.read = read

    def run(self, query):
        return Question(**{**self.read.__dict__, "query": query})


def answerer(read: Question, bm25, dense) -> QuestionAnswerer:
    contacts = Contacts(hotline="96000", hotline_name="示例热线", service_centre="示例窗口")
    return QuestionAnswerer(
        Reading(read),
        Fixed(bm25),
        Fixed(dense),
        Ranker(NAMES, PRIORS, NAMING),
        [],
        ["b", "h", "m"],
        Replies.load(contacts),
    )


def test_a_refusal_names_the_catalogues_own_human_channel():
    qa = answerer(question(["宠物"], text="宠物", element=None), [], [])
    answer = qa.ask("宠物能办证吗")
    assert answer.kind == "out_of_scope" and "96000示例热线" in answer.answer and "示例窗口" in answer.answer


def test_a_clarifying_answer_carries_its_choices_as_data():
    read = question(["身份证"], ["身份证", "多少钱"], text="身份证多少钱", element="fee")
    answer = answerer(read, [(0, 5.0), (1, 4.9)], [(0, 0.9), (1, 0.89)]).ask("身份证多少钱")
    assert answer.kind == "clarify"
    assert [(c.id, c.name) for c in answer.choices] == [("b", "居民身份证补领"), ("h", "居民身份证换领")]
    assert answer.answer == "请问您要办理的是“居民身份证补领”还是“居民身份证换领”？"


def test_a_service_the_catalogue_lacks_is_refused_by_name_even_when_a_neighbour_ranks_high():
    # 工作居住证 reads much like 居民身份证 to the retrievers; the catalogue says it lacks it
    read = replace(question(["工作", "居住证"], text="工作居住证怎么办"), lacking="工作居住证")
    answer = answerer(read, [(0, 9.0)], [(0, 0.95)]).ask("工作居住证怎么办")
    assert answer.kind == "out_of_scope" and answer.item is None
    assert answer.answer.startswith("您问的是“工作居住证”，本助手暂未收录这项服务")
    assert "96000示例热线" in answer.answer


def test_a_short_request_in_one_shared_word_asks_which_entry_is_meant():
    # "我想办证": one everyday word, several entries use it, none named, no element asked
    read = question(["办证"], ["想", "办证"], text="我想办证")
    naming = Naming([words | {"办证"} for words in NAMING])
    decider = Decider(NAMES, Ranker(NAMES, PRIORS, naming).uses, shared=lambda word: 3)
    decision = decider.decide(read, Scored(ranked=[(0, 1.0), (1, 0.8), (2, 0.6)], features=(0.9, 1.0, 0, 1, 1)))
    assert decision.kind == "clarify" and decision.choices == (0, 1, 2)
    # the same word with an element asked, or a word only one entry uses, is answered
    asked = Question(query="办证多少钱", text="办证多少钱", words=["办证"], content=["办证"], element="fee")
    assert decider.decide(asked, Scored(ranked=[(0, 1.0), (1, 0.8)], features=(0.9, 1.0, 0, 1, 1))).kind == "answer"
    rare = Decider(NAMES, Ranker(NAMES, PRIORS, naming).uses, shared=lambda word: 1)
    assert rare.decide(read, Scored(ranked=[(0, 1.0), (1, 0.8)], features=(0.9, 1.0, 0, 1, 1))).kind == "answer"


def test_a_clarifying_question_of_several_entries_offers_them_all():
    read = question(["办证"], text="我想办证")
    qa = answerer(read, [(0, 5.0), (1, 4.5), (2, 4.0)], [(0, 0.9), (1, 0.85), (2, 0.8)])
    qa.decider.shared = lambda word: 3
    answer = qa.ask("我想办证")
    assert answer.kind == "clarify" and answer.answer == "您想办理的可能是以下几项之一，请选择："
    assert [c.name for c in answer.choices] == NAMES


def test_a_long_message_naming_nothing_and_sharing_one_word_with_the_best_entry_is_refused():
    ranker = Ranker(NAMES, PRIORS, NAMING)
    decide = Decider(NAMES, ranker.uses, Thresholds(), stop_words=frozenset({"没有", "现在"})).decide
    story = (
        "我们小区门口那条路修了两年还没完工，晚上也没有路灯，老人孩子出门很不方便，现在结婚的新人都不愿意来这里买房了"
    )
    assert len(story) > 40
    scored = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    # 结婚 is the only word it shares with 结婚登记 (没有 and 现在 name nothing): not about it, however confident
    one = question(["小区", "完工", "路灯", "没有", "现在", "结婚", "买房"], text=story)
    assert decide(one, scored).kind == "out_of_scope"
    # sharing two words, or asked as a short question, or naming the entry, it is answered
    two = question(["小区", "结婚", "登记", "买房"], text=story)
    assert decide(two, scored).kind == "answer"
    assert decide(question(["结婚", "买房"], text="结婚了能买房吗"), scored).kind == "answer"
    named = replace(one, mentions=[("marriage", "结婚登记")])
    assert decide(named, Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=CONFIDENT)).kind == "answer"
    # in a conversation about the entry (the ranker marks it as named), a long follow-up stays with it
    held = Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=CONFIDENT)
    assert decide(one, held, in_context=True).kind == "answer"
    # but one the retrievers take to another entry is held to the same rule as a first message
    assert decide(one, scored, in_context=True).kind == "out_of_scope"


def test_a_long_message_sharing_only_everyday_words_with_the_best_entry_is_refused():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"结婚", "登记", "城市", "规划"}]))
    counts = {"城市": 26_000, "规划": 5_445, "登记": 1_810}  # as jieba's dictionary counts them
    decide = Decider(NAMES, ranker.uses, Thresholds(), everyday=lambda word: counts.get(word, 0)).decide
    scored = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    story = "请问我们村所在的新城区的城市规划什么时候公布？村里的路和学校都说要重新建，大家都等着看规划图纸了"
    assert len(story) > 40
    # two words shared, both everyday ones: a plan of the city's, not the entry's business
    plans = question(["村所", "新城", "城区", "城市", "规划", "公布", "学校", "重新", "规划图", "图纸"], text=story)
    assert decide(plans, scored).kind == "out_of_scope"
    # one of them a rarer word, it is answered
    registered = question(["城市", "规划", "登记"], text=story + "，登记")
    assert decide(registered, scored).kind == "answer"


def test_a_question_in_a_conversation_is_not_taken_to_another_entry_by_everyday_words_alone():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"结婚", "登记", "公司"}]))
    counts = {"公司": 45_604}
    decide = Decider(NAMES, ranker.uses, Thresholds(), everyday=lambda word: counts.get(word, 0)).decide
    laid_off = question(["公司", "裁员"], text="公司裁员了能领吗")  # after 失业保险金申领
    some = (0.9, 0.5, 0.0, 1.0, 1.0)
    assert decide(laid_off, Scored(ranked=[(2, 1.0)], features=some), in_context=True).kind == "out_of_scope"
    # with nothing said before, a short question in the everyday word alone is read as it is (one naming a subject of
    # its own, 裁员, is refused there too); a rarer word shared takes it there
    assert decide(question(["公司"], text="公司能领吗"), Scored(ranked=[(2, 1.0)], features=some)).kind == "answer"
    assert decide(laid_off, Scored(ranked=[(2, 1.0)], features=some)).kind == "out_of_scope"
    married = question(["公司", "结婚"], text="公司同事结婚要带什么")
    assert decide(married, Scored(ranked=[(2, 1.0)], features=some), in_context=True).kind == "answer"


def test_a_word_and_the_part_of_it_jieba_also_cuts_are_one_word_shared():
    ranker = Ranker(NAMES, PRIORS, NAMING)
    decide = Decider(NAMES, ranker.uses, Thresholds()).decide
    scored = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    story = "希望把结婚证做成电子版，和身份证一样在手机上就能出示，办事时不用再带纸质的证件跑来跑去，方便群众"
    assert len(story) > 40
    # jieba's search mode cuts 结婚证 as 结婚 and 结婚证: written once, it is one word the entry's names use
    content = ["希望", "结婚", "结婚证", "电子版", "身份", "身份证", "手机", "出示", "办事", "纸质", "证件", "群众"]
    assert decide(question(content, text=story), scored).kind == "out_of_scope"
    # 结婚 written on its own as well is a second word
    married = "我们结婚十年了，" + story
    assert decide(question(content, text=married), scored).kind == "answer"


def test_a_proposal_asking_nothing_is_refused_unless_about_doing_the_service_elsewhere_or_online():
    ranker = Ranker(NAMES, PRIORS, NAMING)
    decide = Decider(NAMES, ranker.uses, Thresholds()).decide
    scored = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    content = ["结婚", "结婚证", "电子版", "结婚登记"]
    proposal = "我们结婚十年了，建议把结婚证做成电子版，办结婚登记时方便群众"
    assert decide(question(content, text=proposal), scored).kind == "out_of_scope"
    # the guide's place and online elements answer one about where it may be done
    anywhere = "我们结婚十年了，建议结婚登记实行全国通办，办结婚证时方便群众"
    assert decide(question(content, text=anywhere), scored).kind == "answer"
    # ... and 建议 as a noun proposes nothing
    advice = "我们结婚十年了，想听听您的建议，结婚证和结婚登记的事"
    assert decide(question(content, text=advice), scored).kind == "answer"


def test_a_short_question_almost_none_of_whose_words_are_the_best_entrys_is_refused():
    ranker = Ranker(NAMES, PRIORS, NAMING)
    decide = Decider(NAMES, ranker.uses, Thresholds()).decide
    parking = question(["道路", "停车", "收费", "价格", "规定"], text="道路停车收费价格是怎么规定的")
    # the retrievers agree and the confidence is high, but no word of it is the entry's (coverage 0): refused
    bare = (0.9, 0.0, 0.0, 1.0, 1.0)
    assert decide(parking, Scored(ranked=[(2, 1.0)], features=bare)).kind == "out_of_scope"
    # one everyday word of the entry's is enough for a short question ("车子该年审了"), and so is naming it
    some = (0.9, 0.3, 0.0, 1.0, 1.0)
    fee = Naming([*NAMING[:2], NAMING[2] | {"收费"}])
    shares = Decider(NAMES, Ranker(NAMES, PRIORS, fee).uses, Thresholds()).decide
    assert shares(parking, Scored(ranked=[(2, 1.0)], features=some)).kind == "answer"
    named = replace(parking, mentions=[("marriage", "结婚登记")])
    assert decide(named, Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=bare)).kind == "answer"
    # in a conversation about the entry (the ranker marks it as named), a follow-up in other words stays with it
    held = Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=bare)
    assert decide(parking, held, in_context=True).kind == "answer"


def test_a_short_question_sharing_no_word_with_the_best_entry_is_refused_unless_it_writes_a_part_of_one():
    naming = Naming([set(), set(), {"机动车", "检验", "汽车年审", "审车"}])
    ranker = Ranker(NAMES, PRIORS, naming)
    decide = Decider(NAMES, ranker.uses, Thresholds(), parts=ranker.parts).decide
    # confident and with some coverage (包括, 基本), yet no word of it is the entry's names', aliases' or FAQ's: the
    # embeddings' guess alone (it took 职工基本养老保险关系转移接续 among the unlabelled real messages)
    some = Scored(ranked=[(2, 1.0)], features=(0.9, 0.3, 0.0, 1.0, 1.0))
    land = question(["土地", "登记", "包括", "基本", "程序"], text="土地登记包括哪些基本程序")
    assert decide(land, some).kind == "out_of_scope"
    # jieba cut 该年|审|了, yet the question writes 年审, part of the alias 汽车年审: answered
    annual = question(["车子", "该年", "审"], text="车子该年审了")
    assert decide(annual, some).kind == "answer"
    # with a word shared it is for the other rules to decide; one naming it is answered
    shared = Decider(NAMES, Ranker(NAMES, PRIORS, Naming([set(), set(), {"登记"}])).uses, Thresholds()).decide
    assert shared(land, some).kind == "answer"
    named = replace(land, mentions=[("marriage", "结婚登记")])
    held = Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=some.features)
    assert decide(named, held).kind == "answer"
    # a returning person's follow-up in other words stays with the conversation's entry (the ranker marks it named)
    assert decide(land, held, in_context=True).kind == "answer"


def test_a_question_asking_safety_tips_is_refused_unless_it_shares_two_words_with_the_entry():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"消防", "消防安全", "安全检查", "检查"}]))
    decide = Decider(NAMES, ranker.uses, Thresholds()).decide
    sure = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    tips = question(["消防", "消防安全", "常识"], text="消防安全常识有哪些")
    assert decide(tips, sure).kind == "out_of_scope"
    # the inspection's own 须知: 消防安全 and 检查 are two words of its names
    inspection = question(["消防", "消防安全", "检查", "须知"], text="消防安全检查有什么须知")
    assert decide(inspection, sure).kind == "answer"
    # naming an entry, or in a conversation about it, it is the entry's
    named = replace(tips, mentions=[("fire", "消防安全")])
    held = Scored(ranked=[(2, 1.0)], mentioned={2: 1.0}, features=CONFIDENT)
    assert decide(named, held).kind == "answer"
    assert decide(tips, held, in_context=True).kind == "answer"


def test_a_short_question_sharing_one_everyday_word_and_naming_a_subject_of_its_own_is_refused():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"企业", "投资", "项目", "备案", "公司", "设立"}]))
    counts = {
        "项目": 13_257,
        "公司": 45_604,
        "设立": 6_000,
        "冰壶": 3,
        "委托": 4_000,
    }  # as jieba's dictionary counts them
    decide = Decider(NAMES, ranker.uses, Thresholds(), everyday=lambda word: counts.get(word, 0)).decide
    some = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    # 项目 is the only word shared, an everyday one, and 冰壶 is a subject the entry does not name
    curling = question(["冰壶", "项目"], text="什么是冰壶项目")
    assert decide(curling, some).kind == "out_of_scope"
    # naming nothing but the everyday word, or sharing three words, it is answered
    assert decide(question(["项目"], text="项目怎么办"), some).kind == "answer"
    company = question(["公司", "设立", "项目", "委托"], text="公司设立项目能委托办吗")
    assert decide(company, some).kind == "answer"


def test_a_short_question_sharing_a_common_word_at_most_and_writing_two_its_guide_never_uses_is_refused():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"结婚", "登记", "车辆", "户口"}]))
    counts = {"车辆": 1_912, "户口": 1_072, "涉水": 142, "熄火": 59, "满月": 143}  # as jieba's dictionary counts them
    guide = "结婚登记 车辆 户口 熄火"
    decide = Decider(
        NAMES,
        ranker.uses,
        Thresholds(),
        everyday=lambda word: counts.get(word, 0),
        written=lambda entry, word: word in guide,
    ).decide
    some = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    # 车辆 is common; 涉水 and 熄火 are the subject, and the guide writes 熄火 only: one stranger is not enough
    assert decide(question(["车辆", "涉水", "熄火"], text="车辆在涉水时熄火该怎么办"), some).kind == "answer"
    guide = "结婚登记 车辆 户口"
    assert decide(question(["车辆", "涉水", "熄火"], text="车辆在涉水时熄火该怎么办"), some).kind == "out_of_scope"
    # a word of the entry's that names a service (户口) keeps a question however it is told
    assert decide(question(["孩子", "满月", "没上", "户口"], text="孩子刚满月还没上户口"), some).kind == "answer"


def test_a_short_question_sharing_only_a_word_of_what_is_done_and_writing_one_its_guide_never_uses_is_refused():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"结婚", "登记", "变更"}]))
    guide = "结婚登记 变更 借款人"
    decide = Decider(
        NAMES,
        ranker.uses,
        Thresholds(),
        everyday=lambda word: {"离婚": 886, "借款人": 68, "变更": 1_345}.get(word, 0),
        written=lambda entry, word: word in guide,
    ).decide
    some = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    divorce = question(["离婚", "变更", "借款人"], text="因离婚需变更借款人，如何办理？")
    # 变更 says what is done, not to what; the guide never writes 离婚: one word of its own is enough
    assert decide(divorce, some).kind == "out_of_scope"
    # when the guide writes every other word of the question, it stays answered
    guide = "结婚登记 变更 借款人 离婚"
    assert decide(divorce, some).kind == "answer"


def test_a_short_question_asking_to_alter_a_record_in_a_word_its_guide_never_writes_is_refused():
    ranker = Ranker(NAMES, PRIORS, Naming([{"身份证", "补领"}, {"身份证", "换领"}, set()]))
    guide = "居民身份证 补领 换领 联系 方式 照片"
    decide = Decider(NAMES, ranker.uses, Thresholds(), written=lambda entry, word: word in guide).decide
    some = Scored(ranked=[(0, 1.0)], features=CONFIDENT)
    # 变更 is done to the record, and the guide never says how: another service of the office's
    change = question(["身份证", "联系", "方式", "变更"], text="如何变更身份证的联系方式？")
    assert decide(change, some).kind == "out_of_scope"
    # a guide that writes the act answers it
    guide += " 变更"
    assert decide(change, some).kind == "answer"
    # 更换 is what a name's 换 (换领) does, whatever the guide writes
    renew = question(["身份证", "到期", "更换"], text="身份证到期了怎么更换")
    assert decide(renew, Scored(ranked=[(1, 1.0)], features=CONFIDENT)).kind == "answer"
    assert decide(renew, some).kind == "out_of_scope"  # 居民身份证补领 has no 换 in its name
    # a question naming the entry is about it, whatever it asks
    named = Question(
        query="身份证补领后联系方式怎么变更",
        text="身份证补领后联系方式怎么变更",
        words=["身份证", "补领", "变更"],
        content=["身份证", "补领", "变更"],
        mentions=[("id-card-replacement", "身份证补领")],
    )
    assert decide(named, some).kind == "answer"


def test_a_short_question_naming_three_things_its_guide_never_writes_is_refused_whatever_it_shares():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"医疗", "保险", "医疗保险", "居民"}]))
    counts = {"医疗": 3_488, "保险": 2_000, "医疗保险": 40, "居民": 6_948, "重置": 200, "账户": 489, "密码": 900}
    guide = "内地居民结婚登记 医疗保险 居民"
    verbs = {"重置"}
    decide = Decider(
        NAMES,
        ranker.uses,
        Thresholds(),
        everyday=lambda word: counts.get(word, 0),
        written=lambda entry, word: word in guide,
        thing=lambda word: word not in verbs,
    ).decide
    some = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    reset = question(
        ["医疗", "保险", "医疗保险", "居民", "重置", "账户", "密码"], text="如何重置城乡居民医疗保险账户密码"
    )
    # sharing a rare word (医疗保险) keeps it from the rule for strangers; 重置 is a verb, 账户 and 密码 two things
    assert decide(reset, some).kind == "answer"
    verbs.clear()  # three things the guide never writes
    assert decide(reset, some).kind == "out_of_scope"
    # told in the story, not in the clause that asks, they say who writes and for whom, not what is asked
    told = question(
        ["医疗", "保险", "医疗保险", "居民", "重置", "账户", "密码"],
        text="我管家里的账户和密码，重置过两次，居民医疗保险能在网上交吗",
    )
    assert decide(told, some).kind == "answer"
    guide += " 密码"  # ... two
    assert decide(reset, some).kind == "answer"
    guide = guide.replace(" 密码", "")
    counts["密码"] = 0  # a word jieba's dictionary does not know (its HMM made it) names nothing for certain
    assert decide(reset, some).kind == "answer"


def test_two_characters_jieba_cut_apart_count_as_the_word_of_the_entrys_names_they_make():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"结婚", "扯证", "登记"}]))
    decide = Decider(NAMES, ranker.uses, Thresholds()).decide
    story = "领导您好，我和对象谈了五年了，双方父母都见过面了，家里催着我们下个月去民政局扯证，请问要先预约吗？"
    assert len(story) > 40
    scored = Scored(ranked=[(2, 1.0)], features=CONFIDENT)
    # the cut left 扯证 as 扯|证 (a word jieba does not know): rejoined, it is the second word the story shares
    content = ["对象", "父母", "民政局", "登记", "预约"]
    cut = ["对象", "父母", "民政", "民政局", "登记", "扯", "证", "预约"]
    assert decide(question(content, cut, text=story), scored).kind == "answer"
    # characters that are neighbours only once a word between them is dropped (扯的证) make no word: 登记 alone
    apart = story.replace("扯证", "扯的证")
    assert decide(question(content, cut, text=apart), scored).kind == "out_of_scope"


@pytest.mark.parametrize(
    ("text", "content", "carried"),
    [
        ("要带户口簿不", ["户口", "户口簿"], {"户口", "户口簿"}),  # the object of 带, and its part
        ("需要提供身份证吗", ["提供", "身份", "身份证"], {"身份", "身份证"}),
        ("户口簿要不要带", ["户口", "户口簿"], {"户口", "户口簿"}),  # asked whether it is needed
        ("离婚要带什么", ["离婚"], set()),  # what to bring for 离婚: about 离婚
        ("需要分别申请吗", ["分别", "申请"], set()),  # 吗 alone asks no thing to bring
    ],
)
def test_the_words_naming_a_thing_to_bring_are_told_from_the_subject(text, content, carried):
    assert carried_words(question(content, text=text)) == carried


def test_a_word_of_another_entrys_name_takes_a_follow_up_away_unless_it_is_a_thing_to_bring_or_an_act():
    names = ["内地居民结婚登记", "居民户口簿补领", "临时救助申请"]
    ranker = Ranker(names, PRIORS, Naming([set(), set(), set()]))
    signals = Signals(bm25=[(1, 5.0)], dense=[(1, 0.5)], mentioned={})

    def in_context(words: list[str], text: str) -> int:
        return ranker.score(question(words, text=text), signals, "内地居民结婚登记").ranked[0][0]

    assert in_context(["户口", "户口簿"], "要带户口簿不") == 0  # what to bring to the marriage registration
    assert in_context(["补办", "户口", "户口簿"], "补办户口簿要带什么") == 1  # a new subject
    assert in_context(["能", "替", "申请"], "我能替他申请吗") == 0  # 申请 is the act of 临时救助申请, no subject


def test_where_the_household_is_registered_keeps_a_follow_up_unless_it_asks_about_what_another_entry_names():
    names = ["补领结婚证", "户口迁移登记", "义务教育阶段新生入学登记"]
    naming = Naming([{"结婚证", "补领"}, {"户口", "迁移"}, {"户口", "小学", "入学"}])
    ranker = Ranker(names, PRIORS, naming, stop_words=frozenset({"这边", "可以"}))

    def in_context(words: list[str], text: str, best: int) -> int:
        signals = Signals(bm25=[(best, 5.0)], dense=[(best, 0.5)], mentioned={})
        return ranker.score(question(words, text=text), signals, "补领结婚证").ranked[0][0]

    # 外地户口 tells who the person is: the question stays with the conversation's entry
    assert in_context(["外地", "户口", "这边", "可以"], "我是外地户口，这边可以补吗", best=1) == 0
    # but 小学 is what it asks about, a word the retrievers' best entry names and the conversation's does not
    assert in_context(["外地", "户口", "孩子", "小学"], "外地户口孩子能在这上小学吗", best=2) == 2
    # unless the retrievers disagree on which entry that is
    split = Signals(bm25=[(2, 5.0)], dense=[(1, 0.5)], mentioned={})
    told = question(["外地", "户口", "孩子", "小学"], text="外地户口孩子能在这上小学吗")
    assert ranker.score(told, split, "补领结婚证").ranked[0][0] == 0


def test_a_follow_up_naming_the_conversations_entry_goes_to_the_sibling_a_word_of_it_names():
    names = ["烟草专卖零售许可证核发", "烟草专卖零售许可证延续", "内地居民结婚登记"]
    ranker = Ranker(names, PRIORS, Naming([{"烟草证"}, {"烟草证", "延续"}, set()]))
    renewal = Signals(bm25=[(1, 5.0)], dense=[(1, 0.5)], mentioned={0: 1.0})

    def in_context(words: list[str], signals: Signals) -> int:
        return ranker.score(question(words, text="".join(words)), signals, names[0]).ranked[0][0]

    # 续 is a word of 延续's name and not of 核发's: the retrievers' sibling is asked about
    assert in_context(["烟草证", "快", "到期", "了", "怎么", "续"], renewal) == 1
    # naming the licence alone, the question stays with the conversation's entry
    assert in_context(["烟草证", "要", "多少钱"], renewal) == 0
    # and an entry of another family is not taken for a sibling
    married = Signals(bm25=[(2, 5.0)], dense=[(2, 0.5)], mentioned={0: 1.0})
    assert in_context(["烟草证", "怎么", "续"], married) == 0


def test_a_word_and_its_part_are_one_word_the_guide_never_uses():
    ranker = Ranker(NAMES, PRIORS, Naming([set(), set(), {"结婚", "登记", "小学"}]))
    counts = {"小学": 3_296, "幼儿": 263, "幼儿园": 405, "毕业": 5_988}  # 毕业 is an everyday word
    decide = Decider(
        NAMES, ranker.uses, Thresholds(), everyday=lambda word: counts.get(word, 0), written=lambda e, w: False
    ).decide
    # jieba cuts 幼儿园 as 幼儿 and 幼儿园: one word the guide does not write, so the question is answered
    school = question(["幼儿", "幼儿园", "毕业", "小学"], text="孩子幼儿园毕业了上小学要带什么材料")
    assert decide(school, Scored(ranked=[(2, 1.0)], features=CONFIDENT)).kind == "answer"


def test_the_guides_of_those_who_run_or_build_something_are_told_by_their_targets_and_kind():
    from assistant.qa.decision import for_operators
    from knowledge.catalogue import BUNDLED
    from knowledge.loader import load_directories

    operators = {item.name for item in load_directories([BUNDLED]).items.values() if for_operators(item)}
    # organisations alone, and licences a shop or a builder applies for, also when a 自然人 may run the shop
    assert {"单位社会保险参保登记", "公司变更登记", "食品经营许可证核发", "建筑工程施工许可证核发"} <= operators
    # a person's own papers, a car's registration, a person's benefits
    assert (
        not {"普通护照签发", "机动车驾驶证补领", "机动车注册登记", "失业保险金申领", "个体工商户设立登记"} & operators
    )
