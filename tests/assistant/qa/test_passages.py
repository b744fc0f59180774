"""The guide's sentence that answers an ask, found on the bundled guides (no index: milliseconds)."""

from __future__ import annotations

import pytest

from assistant.qa.passages import best_passage, law_behind, passages


@pytest.fixture(scope="module")
def guide(bundled):
    return bundled.get


def test_a_period_the_law_sets_is_found_where_the_guide_states_it(guide) -> None:
    # 冷静期 stands in the conditions, not in the time limit the office takes
    lead = best_passage(guide("内地居民离婚登记"), ["离婚", "冷静期"], "period")
    assert lead is not None and lead.element == "conditions"
    assert "30日" in lead.text and "冷静期" in lead.text


def test_an_age_question_leads_with_the_sentence_that_states_an_age(guide) -> None:
    lead = best_passage(guide("居民身份证首次申领"), ["孩子", "办身份证"], "age")
    assert lead is not None and "十六周岁" in lead.text


def test_a_yes_no_question_is_answered_by_the_faq_or_entry_that_holds_its_words(guide) -> None:
    lead = best_passage(guide("不动产转移登记"), ["赠与", "合同", "公证"], "yes_no")
    assert lead is not None and "自行决定" in lead.text


def test_a_verb_parted_from_its_object_is_read_as_the_word_the_guide_writes(guide) -> None:
    # 离了婚 is 离婚: the sentence on a marriage that has ended leads, not nothing
    lead = best_passage(guide("补领结婚证"), ["离了婚", "补领结婚证"], "yes_no", element="conditions")
    assert lead is not None and "离婚" in lead.text


def test_words_every_passage_holds_lead_to_nothing(guide) -> None:
    # the item's own name tells nothing about which of its sentences answers
    assert best_passage(guide("住房公积金提取"), ["住房公积金", "提取"], "yes_no") is None
    assert best_passage(guide("住房公积金提取"), [], "duration") is None


def test_a_yes_no_ask_naming_the_item_alone_by_an_alias_leads_with_nothing(guide) -> None:
    # "取公积金能在手机上办吗": the template words (手机, 办) ask online; what is left, an alias and its words, names
    # the item, and the FAQ on 租房提取公积金 is no answer; the element asked is
    withdrawal = guide("住房公积金提取")
    assert best_passage(withdrawal, ["公积", "积金", "公积金", "取公积金"], "yes_no") is None
    # a word beside the alias still says which sentence: renting
    lead = best_passage(withdrawal, ["租房", "取公积金"], "yes_no")
    assert lead is not None and "租" in lead.text
    # an alias written as a question is the question, not a name: its FAQ leads
    lead = best_passage(guide("工伤认定申请"), ["上下班", "出车祸", "工伤", "上下班路上出车祸算工伤吗"], "yes_no")
    assert lead is not None and "上下班途中" in lead.text


def test_a_yes_no_ask_about_an_element_that_says_yes_or_no_itself(guide) -> None:
    # "办护照要本人去吗" (visits): the FAQ on 在外地办护照 shares only the alias 办护照; the visits element answers
    assert best_passage(guide("普通护照签发"), ["护照", "办护照", "本人"], "yes_no", element="visits") is None
    # an FAQ whose question holds every word of the ask beyond the service's names leads
    words = ["公章", "刻公章", "公安", "公安局", "审批"]  # 刻公章要去公安局审批吗
    lead = best_passage(guide("印章刻制备案"), words, "yes_no", element="visits")
    assert lead is not None and lead.question.startswith("刻公章还要先去公安局审批")
    # so does a sentence holding a word few of the guide's sentences hold (敬老院: the 集中供养 material)
    lead = best_passage(guide("特困人员救助供养申请"), ["以后", "住", "敬老", "敬老院"], "yes_no", element="visits")
    assert lead is not None and "集中供养" in lead.text


def test_whether_it_may_be_done_here_is_answered_by_the_guides_cross_region_rule(guide) -> None:
    lead = best_passage(guide("居民户口簿补领"), ["户口簿", "派出所", "直接"], "elsewhere")
    assert lead is not None and lead.element == "cross_region" and "不支持异地受理" in lead.text
    # an FAQ asking just that leads before it
    lead = best_passage(guide("机动车转移登记"), ["外地", "二手车", "直接", "过户"], "elsewhere")
    assert lead is not None and lead.question.startswith("买外地的二手车")
    # a short rule of several sentences is quoted whole (where the application is made, and where the licence is
    # collected); a long one by its first sentence
    renewal = guide("机动车驾驶证期满换证")
    lead = best_passage(renewal, ["驾驶证", "这边", "换证"], "elsewhere")
    assert lead is not None and lead.text == renewal.cross_region
    long = renewal.model_copy(update={"cross_region": renewal.cross_region + "。" + "外地驾驶人须另行预约。" * 12})
    lead = best_passage(long, ["驾驶证", "这边", "换证"], "elsewhere")
    assert lead is not None and lead.text == renewal.cross_region.split("；")[0] + "；"


def test_a_fact_question_naming_only_the_service_leads_with_the_sentence_stating_the_fact(guide) -> None:
    lead = best_passage(guide("内地居民结婚登记"), ["结婚"], "age")
    assert lead is not None and "二十二周岁" in lead.text


def test_a_fact_question_never_leads_with_a_sentence_stating_no_such_fact(guide) -> None:
    lead = best_passage(guide("居民身份证补领"), ["补领", "工本费"], "amount")
    assert lead is not None and "元" in lead.text


def test_passages_quote_the_guide_verbatim(guide) -> None:
    item = guide("内地居民结婚登记")
    texts = [p.text for p in passages(item)]
    assert all(c in texts for c in item.conditions)
    assert any(f.answer in t for f in item.faq for t in texts)
    assert passages(item) == passages(item)


def test_a_list_or_a_how_to_is_answered_by_its_element_not_one_sentence(guide) -> None:
    assert best_passage(guide("住房公积金提取"), ["退休"], "document") is None
    assert best_passage(guide("住房公积金提取"), ["退休"], None) is None


def test_a_deadline_of_the_applicant_is_never_answered_with_the_time_the_office_takes(guide) -> None:
    # the office decides within 60 days (time limit); the employer must apply within 30 days, the worker 1 year
    lead = best_passage(guide("工伤认定申请"), ["工伤", "认定", "申请"], "period")
    assert lead is not None and lead.element != "time_limit"
    assert "30日" in lead.text and "1年" in lead.text


def test_a_period_worded_otherwise_than_the_guide_is_found_through_the_services_words(guide) -> None:
    # 到期前 asked, 有效期满前九十日内 written
    lead = best_passage(guide("机动车驾驶证期满换证"), ["驾驶证", "到期", "前", "换证"], "period")
    assert lead is not None and "九十日" in lead.text


def test_the_amount_of_a_benefit_is_never_answered_with_the_fee_of_applying(guide) -> None:
    lead = best_passage(guide("最低生活保障申请"), ["低保", "每个", "月"], "benefit")
    assert lead is not None and lead.element != "fee" and "标准" in lead.text
    assert "不收费" not in lead.text


def test_an_faq_asking_another_kind_of_fact_does_not_lead(guide) -> None:
    # "孩子不满十六周岁可以办身份证吗？……有效期为五年" holds 办身份证 and a period, but asks whether, not how long
    lead = best_passage(guide("居民身份证首次申领"), ["身份", "办身份证"], "duration")
    assert lead is None or lead.element != "faq"
    validity = best_passage(guide("居民身份证换领"), ["新", "身份证"], "validity")
    assert validity is not None and "二十年" in validity.text  # not the FAQ "身份证快到期了，什么时候可以去换？"


def test_the_services_name_shortened_says_which_guide_not_which_sentence(guide) -> None:
    # 股份公司 shortens 股份有限公司设立登记: the ask is about 发起人
    lead = best_passage(guide("股份有限公司设立登记"), ["股份公司", "发起人"], "number")
    assert lead is not None and "二百人" in lead.text


def test_a_phone_asked_is_the_consultation_line_not_a_line_for_complaints(guide) -> None:
    lead = best_passage(guide("异地就医备案"), ["医保", "备案"], "phone", element="contact")
    assert lead is None or lead.element == "contact"


def test_a_question_about_something_the_guide_never_says_leads_only_when_not_strict(guide) -> None:
    # "发明专利" is in no passage: strictly, the ask is mostly not the guide's
    assert best_passage(guide("公司变更登记"), ["发明", "专利", "申请"], "duration", strict=True) is None


def test_how_long_a_step_of_the_procedure_lasts_is_the_steps_own_time(guide) -> None:
    # 公示 is a special procedure of 低保 with its own time (7天), not the office's 30 working days; the ask's other
    # words (名单) stand nowhere in the guide
    lead = best_passage(guide("最低生活保障申请"), ["低保", "名单", "公示"], "duration")
    assert lead is not None and lead.element == "special_procedures" and "7天" in lead.text
    # a step whose time states no period does not lead ("按不动产登记机构的办理时限")
    lead = best_passage(guide("住房公积金贷款申请"), ["抵押登记"], "duration")
    assert lead is None or lead.element != "special_procedures"


def test_a_step_named_in_the_ask_answers_how_long_it_lasts_not_the_time_limit_mentioning_it(guide) -> None:
    # the promised time limit says 20个工作日（含公示期）: it holds 公示 too, but the step states the 7 days asked
    lead = best_passage(guide("最低生活保障申请"), ["低保", "公示"], "duration")
    assert lead is not None and lead.name == "公示" and "7天" in lead.text


def test_the_steps_of_the_process_and_the_special_procedures_are_passages(guide) -> None:
    item = guide("最低生活保障申请")
    texts = [p.text for p in passages(item)]
    assert all(any(step.description in t for t in texts) for step in item.process.steps)
    assert all(any(p.description in t and p.time in t for t in texts) for p in item.special_procedures)


def test_an_faq_whose_question_names_no_kind_of_fact_may_still_lead(guide) -> None:
    # "公积金贷款首付要多少？" asks no kind the readers know; its answer states the ratio asked (20%)
    lead = best_passage(guide("住房公积金贷款申请"), ["第一", "套房", "首付", "最低", "几成"], "ratio")
    assert lead is not None and lead.element == "faq" and "20%" in lead.text


def test_an_amount_in_ten_thousands_is_an_amount(guide) -> None:
    # "工程投资额在30万元以下……可以不申请办理施工许可证"
    lead = best_passage(guide("建筑工程施工许可证核发"), ["小工程", "不办", "投资额", "以下"], "amount")
    assert lead is not None and "30万元" in lead.text


def test_an_faq_asking_the_same_in_other_words_leads_a_yes_no_ask(guide) -> None:
    # "下班路上骑电动车被撞了，算公伤吗": 骑, 电动车, 撞 are no words of the guide; they used to outweigh what it
    # holds, and the reply was the conditions' first sentence (劳动关系) instead of the FAQ that answers
    lead = best_passage(
        guide("工伤认定申请"),
        ["下班", "路上", "骑", "电动", "动车", "电动车", "撞", "工伤"],
        "yes_no",
        element="conditions",
    )
    assert lead is not None and lead.question == "上下班路上被车撞了算工伤吗？"
    # "现在扯证还用带户口本不": the FAQ says 不用, which the list of materials never says
    lead = best_passage(
        guide("内地居民结婚登记"),
        ["现在", "结婚", "登记", "结婚登记", "还用", "户口", "户口簿"],
        "yes_no",
        element="materials",
    )
    assert lead is not None and lead.question == "现在领结婚证还要带户口本吗？"


def test_of_passages_holding_as_much_of_a_yes_no_ask_the_faq_asking_just_that_leads(guide) -> None:
    # the condition 仍维持该婚姻关系（未离婚…） holds 离婚 as well, and came first: the FAQ says 不能 in so many words
    lead = best_passage(guide("补领结婚证"), ["离了婚", "补领结婚证"], "yes_no", element="conditions")
    assert lead is not None and lead.question == "已经离婚了还能补结婚证吗？" and "不能" in lead.text
    # "换工作了能把养老保险退了吗" was led by the 45 working days of the time limit
    lead = best_passage(
        guide("职工基本养老保险关系转移接续"),
        ["工作", "养老", "保险", "养老保险", "退"],
        "yes_no",
        element="conditions",
    )
    assert lead is not None and lead.question == "换工作能把养老保险退了拿现金吗？" and "不能" in lead.text
    # an FAQ holding only some of what is asked does not: "新车能在4S店直接上牌吗" is not whether 外地户口 may
    lead = best_passage(guide("机动车注册登记"), ["新车", "4s店", "直接", "上牌"], "yes_no", element="location")
    assert lead is None or lead.question != "外地户口能在示例市给新车上牌吗？"


def test_a_how_to_asked_just_as_an_faq_asks_it_is_led_by_that_faq(guide) -> None:
    # a how-to is answered by the element asked; but "缴费不满15年怎么办" is the guide's own FAQ, which says what to do
    pension = guide("职工基本养老保险待遇申领")
    lead = best_passage(pension, ["缴费", "不满", "15"], None, stated="请问缴费不满15年怎么办？")
    assert lead is not None and lead.question == "缴费不满15年怎么办？"
    # an FAQ holding the ask's words and asking something more is no answer to it: "换法人谁来签字" asks who signs
    change = guide("公司变更登记")
    assert best_passage(change, ["公司", "换法", "法人", "换法人"], None, stated="公司换法人要怎么办理") is None
    # ... nor does a how-to in one word of its own lead ("护照丢了怎么办": the element asked answers it)
    assert best_passage(guide("普通护照补发"), ["护照", "护照丢了"], None, stated="护照丢了怎么办") is None


def test_an_faq_sharing_only_the_services_name_shortened_does_not_lead(guide) -> None:
    # "社保卡做好了可以让家人代领吗": 第一次办社保卡要钱吗 shares 社保卡 (社会保障卡 shortened) and nothing else
    words = ["社保", "社保卡", "做好", "家人", "代领"]
    assert best_passage(guide("社会保障卡申领"), words, "yes_no", element="conditions") is None
    # nor do the guide's words alone make a lead when the ask's own words are not there at all
    assert best_passage(guide("社会保障卡申领"), words, "yes_no", element="conditions", strict=True) is None


def test_the_law_behind_a_figure_is_the_sentence_stating_the_same_figure(guide) -> None:
    benefit = guide("失业保险金申领")
    faq = next(p for p in passages(benefit) if p.question == "失业金能领几个月？")
    law = law_behind(benefit, "period", faq)
    # 第四十五条 says 满一年 too; 第四十六条 states the 12, 18 and 24 months the FAQ states, whole, tiers and all
    assert law is not None and law.element == "basis"
    assert law.text.startswith("《中华人民共和国社会保险法》第四十六条：")
    assert "十二个月" in law.text and "十八个月" in law.text and "二十四个月" in law.text


def test_no_law_is_quoted_for_what_no_law_states_or_when_the_law_leads(guide) -> None:
    benefit = guide("失业保险金申领")
    cut = passages(benefit)
    faq = next(p for p in cut if p.question == "失业金能领几个月？")
    assert law_behind(benefit, "document", faq) is None  # not a fact asked
    assert law_behind(benefit, "period", None) is None
    article = next(p for p in cut if p.element == "basis" and "第四十六条" in p.text)
    assert law_behind(benefit, "period", article) is None  # the law leads already
    phone = next(p for p in cut if p.element == "contact")
    assert law_behind(benefit, "phone", phone) is None  # no law states the hotline's number


def test_no_law_is_quoted_that_the_lead_already_quotes_clause_by_clause(guide) -> None:
    marriage = guide("内地居民结婚登记")
    faq = next(p for p in passages(marriage) if p.question == "法定结婚年龄是多少？")
    # 第一千零四十七条's "结婚年龄，男不得早于二十二周岁，女不得早于二十周岁。": every clause stands in the FAQ
    assert law_behind(marriage, "age", faq) is None


def test_an_ask_stating_an_age_or_a_span_is_led_by_the_sentence_stating_it(guide) -> None:
    # "过了十八岁还能领吗": 十八 and 岁 are words of the templates, so the ask's words alone find nothing; the law's
    # sentence on 年满十八周岁 answers it, quoted alone, with its law and article
    support = guide("特困人员救助供养申请")
    lead = best_passage(support, ["特困供养", "继续"], "yes_no", stated="过了十八岁还能继续享受特困供养吗")
    assert lead is not None and lead.element == "basis"
    assert lead.text.startswith("《中华人民共和国社会救助法》第十六条：特困人员中的未成年人年满十八周岁后")
    assert lead.text.endswith("继续予以供养。")
    # a span of years, in digits, meets the guide's own figure (不满15年 / 缴费不满15年怎么办？)
    pension = guide("职工基本养老保险待遇申领")
    lead = best_passage(pension, ["社保", "不满", "养老金"], "yes_no", stated="社保交了12年不满15年能领养老金吗")
    assert lead is not None and lead.question == "缴费不满15年怎么办？"


def test_dates_ordinals_and_once_only_are_no_quantity_an_ask_states(guide) -> None:
    # 第一次 is no "1次" (到办事现场次数：1次), 一次性 no count, 5月份 a date, not the 5月 of a span
    passport = guide("普通护照补发")
    lead = best_passage(passport, ["补办", "多交钱"], "yes_no", stated="补办跟第一次办相比要不要多交钱")
    assert lead is None or lead.element != "visits"
    school = guide("义务教育阶段新生入学登记")
    lead = best_passage(school, ["合同", "影响"], "yes_no", stated="合同9月份到期会影响每年5月份的幼升小吗")
    assert lead is None or lead.element != "time_limit"
    # a year written short before its month (15年9月份: September 2015) is no span of fifteen years
    pension = guide("职工基本养老保险待遇申领")
    lead = best_passage(pension, ["社保", "养老金"], "yes_no", stated="社保是15年9月份开始交的，现在能领养老金吗")
    assert lead is None or "十五年" not in lead.text


def test_a_share_stated_in_percentage_points_answers_a_question_of_how_much_a_ratio_falls(guide) -> None:
    # "支付比例降低10个百分点" states a share as 百分点, not %: no sentence of the guide was taken for one
    lead = best_passage(guide("异地就医备案"), ["外省", "看病", "转诊", "报销", "比例"], "ratio")
    assert lead is not None and "百分点" in lead.text


def test_a_rare_word_of_the_templates_in_the_ask_tells_the_sentence_that_answers(guide) -> None:
    # "护照丢了补办要登报吗": 登报 is a word of the templates ("{x}要登报吗"), so not among the ask's content words;
    # the rest names the item alone, and the materials were shown without the FAQ that says 不需要登报
    reissue = guide("普通护照补发")
    words = ["护照", "护照丢了", "补办"]
    assert best_passage(reissue, words, "yes_no", element="materials") is None
    lead = best_passage(reissue, words, "yes_no", element="materials", telling=["登报"])
    assert lead is not None and lead.question.startswith("补办护照要登报")
    # a word most of the guide's sentences hold tells none of them
    assert best_passage(reissue, words, "yes_no", element="materials", telling=["护照"]) is None


@pytest.mark.parametrize(
    ("item", "words", "ask", "said"),
    [
        # the visits element says how often one goes, not whether another may go: the sentence or FAQ saying so leads
        ("内地居民离婚登记", ["协议", "离婚", "协议离婚", "律师"], "协议离婚能找律师替我去办吗", "不能委托他人代办"),
        ("居民户口簿补领", ["户口", "户口簿", "妻子"], "户口本丢了我老婆能去补吗", "本户其他人能去补吗"),
        ("残疾人证申领", ["精神", "残疾", "残疾证", "家长"], "精神残疾的孩子办残疾证家长能代办不", "由监护人代为申请"),
        ("往来港澳通行证签注", ["签注", "当妈"], "签注能不能我这个当妈的替他去办？", "可以让家里人代办签注吗"),
        # ... and where no one else may, the condition that one comes in person, not what a guardian's delegate brings
        ("普通护照签发", ["护照", "办护照", "本人"], "办护照要本人去吗？可以代办不", "申请人本人须到场"),
    ],
)
def test_whether_someone_else_may_do_it_is_answered_by_the_guide_on_who_may_apply(guide, item, words, ask, said):
    lead = best_passage(guide(item), words, "yes_no", element="visits", stated=ask)
    assert lead is not None and said in lead.text


def test_a_bank_acting_for_the_fund_is_no_one_acting_for_the_person(guide) -> None:
    # 住房公积金提取's 由受委托银行将提取资金转入 holds 委托 and says nothing of who may apply: what an agent brings does
    words = ["提取", "公积金", "委托", "别人"]
    lead = best_passage(guide("住房公积金提取"), words, "yes_no", stated="提取公积金可以委托别人办吗")
    assert lead is not None and "银行" not in lead.text and lead.element == "materials"
    assert "授权委托书" in lead.text or "代理人" in lead.text


def test_whether_the_old_certificate_found_again_still_counts_is_answered_by_the_guide_saying_it_is_void(guide):
    # "找回来的旧身份证还能不能用": none of the ask's own words (回来, 旧) is the FAQ's (原来的身份证找到了), and the result's
    # validity led; the FAQ saying the old one is void answers it
    ask = "请问找回来的旧身份证还能不能用？"
    lead = best_passage(guide("居民身份证补领"), ["回来", "身份", "身份证"], "yes_no", element="result", stated=ask)
    assert lead is not None and "作废" in lead.text and lead.question


def test_from_when_a_benefit_is_paid_is_answered_by_the_sentence_saying_so_not_the_time_limit(guide):
    # read as how long the office takes (duration), it was led by the 30 working days of the time limit
    ask = "请问低保批下来以后从什么时候开始发钱？"
    lead = best_passage(guide("最低生活保障申请"), ["低保", "批下来"], "duration", element="time_limit", stated=ask)
    assert lead is not None and "次月起" in lead.text
    ask = "残疾人两项补贴资格审定合格后从何时起计发？"
    lead = best_passage(guide("残疾人两项补贴申领"), ["资格", "审定", "合格"], "duration", stated=ask)
    assert lead is not None and "当月计发" in lead.text


def test_whether_one_may_hold_or_claim_it_twice_is_answered_by_the_guides_limit(guide):
    # the 数量限制 was no passage at all: the result's validity led "可以同时拿两本吗"
    ask = "想在这边再办一本，以后两地都能用，可以同时拿两本吗？"
    lead = best_passage(guide("残疾人证申领"), ["两地", "两本"], "yes_no", element="result", stated=ask)
    assert lead is not None and lead.element == "quantity_limit" and "只能持有一本" in lead.text
    lead = best_passage(
        guide("住房公积金贷款申请"), ["贷款", "第二笔"], "yes_no", stated="公积金贷款没还完能再贷第二笔吗"
    )
    assert lead is not None and "一笔未结清" in lead.text
    # ... and asked of something else, it leads on nothing: "港澳通行证办一张多少钱" is the FAQ on what it costs
    lead = best_passage(guide("往来港澳通行证签发"), ["港澳", "通行证", "一张"], "amount", element="fee")
    assert lead is None or lead.element != "quantity_limit"


def test_whether_the_old_certificate_is_handed_back_is_answered_by_the_guide_not_its_fee(guide):
    # "要不要交" read as a fee: the FAQ on what renewal costs led
    lead = best_passage(
        guide("居民身份证换领"), ["换新", "身份证", "旧证"], "amount", stated="换新身份证时旧证要不要交"
    )
    assert lead is not None and "交回原证" in lead.text
