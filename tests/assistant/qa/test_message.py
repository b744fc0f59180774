"""The message reader on messages shaped like the real ones (salutation, story, masks, numbered asks, closing)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.qa.message import (
    MAX_ASKS,
    answer_type,
    asking_clauses,
    asks_contact,
    asks_penalty,
    asks_policy,
    begins_paying,
    deputes,
    element_for,
    hands_back,
    read_message,
    revives,
    twice,
    wished,
)


def test_a_salutation_and_a_closing_formula_are_not_part_of_what_is_asked() -> None:
    message = read_message("尊敬的领导：您好！请问公积金怎么提取？望领导给予回复，谢谢！")
    assert message.text == "请问公积金怎么提取？"
    assert [a.text for a in message.asks] == ["请问公积金怎么提取？"]


@pytest.mark.parametrize("salutation", ["领导您好，", "**区长您好！", "您好，", "尊敬的市长：", "各位领导好： "])
def test_salutations_as_people_write_them_are_stripped(salutation: str) -> None:
    assert read_message(salutation + "结婚登记要带什么材料？").text == "结婚登记要带什么材料？"


def test_a_message_that_starts_with_a_title_but_greets_no_one_keeps_it() -> None:
    assert read_message("领导干部退休后公积金怎么取").text == "领导干部退休后公积金怎么取"


def test_a_mask_is_a_gap_never_a_word() -> None:
    message = read_message("我是****区居民，家住**街道，想办居住证需要什么材料")
    assert message.masks == 2
    assert "*" not in message.text
    assert "区居民" in message.text and "街道" in message.text  # the words beside a mask are kept as written


def test_the_story_comes_apart_from_the_ask_at_the_end() -> None:
    message = read_message(
        "领导您好，我是外省户籍，离异，孩子随我生活，明年上一年级，请问需要准备什么材料，望领导给予回复"
    )
    assert message.story == "我是外省户籍，离异，孩子随我生活，明年上一年级，"
    assert [(a.text, a.answer_type) for a in message.asks] == [("请问需要准备什么材料", "document")]
    assert message.focus.startswith("请问需要准备什么材料")  # the ask first, then the story it is about


def test_a_clause_asking_whether_before_the_one_a_question_mark_ends_is_part_of_the_ask() -> None:
    # "能不能在手机上办" is what is asked; "不用跑大厅？" only says why (read alone, 大厅 asked a place)
    m = read_message("想把公积金取出来。1、提取公积金能不能在手机上办，不用跑大厅？2、申请后多长时间能到账？")
    assert [a.text for a in m.asks] == ["提取公积金能不能在手机上办，不用跑大厅？", "申请后多长时间能到账？"]
    # a story clause before it still is the story ("前几天" is no asking)
    m = read_message("我父亲前几天去世了，家里人忙着办后事，想问一下销户口最晚要在多长时间内去办？")
    assert m.story == "我父亲前几天去世了，家里人忙着办后事，"


def test_numbered_asks_are_read_in_order_without_their_numbers() -> None:
    message = read_message("您好！1、公积金怎么提取？2、要多久能到账？3、手续费多少钱？谢谢")
    assert [(a.text, a.answer_type) for a in message.asks] == [
        ("公积金怎么提取？", None),
        ("要多久能到账？", "duration"),
        ("手续费多少钱？", "amount"),
    ]
    assert MAX_ASKS == 3


def test_a_numbered_ask_without_a_question_mark_is_an_ask_of_its_own() -> None:
    # a real hotline message: the first numbered ask ends in "；", only the second in "？" (the first was read as
    # the story, and the message as asking "是真的吗？" alone)
    message = read_message(
        "1、本人**国企集体户口，子女在**，要想办理随迁落户**，需要什么样的手续，对子女年龄有没有限制要求； "
        "2、听说集体户口职工子女随迁落户**，还需要到**指定机构办理亲子鉴定并出具证明，是真的吗？"
    )
    assert message.asks[0].text == "需要什么样的手续，对子女年龄有没有限制要求；"
    assert len(message.asks) == 2 and message.asks[1].text.endswith("办理亲子鉴定并出具证明，是真的吗？")
    assert "要想办理随迁落户" in message.story
    # an unnumbered sentence still needs its question mark, where the message has one, to be an ask
    told = read_message("我是外地户口，不知道什么手续都没办。请问怎么迁户口？")
    assert [a.text for a in told.asks] == ["请问怎么迁户口？"]


def test_a_message_without_a_question_mark_still_has_its_ask() -> None:
    message = read_message("我想给孩子办理入学登记，不知道要带哪些证件")
    assert message.asks and message.asks[-1].answer_type == "document"


def test_a_request_with_no_question_at_all_is_one_ask() -> None:
    message = read_message("市长您好，建议婚姻登记全国通办。")
    assert [a.text for a in message.asks] == ["建议婚姻登记全国通办。"]


@pytest.mark.parametrize(
    ("ask", "kind"),
    [
        ("办身份证要多久", "duration"),  # how long the office takes
        ("公积金贷款交上去多少天内会批复", "duration"),
        ("离婚冷静期是多久", "period"),  # a period the law sets for the person
        ("工伤认定最晚要在多长时间内申请", "period"),
        ("驾照到期前多久可以去换", "period"),
        ("失业金能领几个月", "period"),
        ("养老金要交满多少年才能领", "period"),
        ("交了医保多久可以报销", "period"),  # the wait until a benefit may be used, however it is asked
        ("私家车多久要检验一次", "period"),
        ("临时身份证能用多久", "validity"),  # how long a certificate lasts
        ("护照有效期几年", "validity"),
        ("低保每个月能领多少钱", "benefit"),  # what a person receives, not what one pays
        ("失业金一个月发多少", "benefit"),
        ("每个月大概多少钱", "benefit"),  # paid out monthly: a benefit; paid in (交, 缴) is a fee
        ("每个月要交多少钱", "amount"),
        ("募集设立股份公司发起人至少认购多少股份", "ratio"),  # a share of the shares (百分之三十五)
        ("门面房拿去抵押贷款登记费收多少", "amount"),  # a fee named, then 多少
        ("城乡居民养老保险缴费档次最低多少", "amount"),
        ("养老保险缴费满多少年能领", "period"),  # 多少年 is no money
        ("超过时间了会不会被罚款", "penalty"),  # what missing it costs, the law says (its yes or no too)
        ("低保申请咨询电话是多少", "phone"),
        ("养老保险每月交多少钱", "amount"),
        ("公积金贷款首付最低要几成", "ratio"),
        ("用公积金贷款首付最低要多少", "ratio"),  # a down payment is a share of the price
        ("城乡居民养老保险要交多少年", "period"),  # years paid in, not an amount
        ("身份证还有俩月才过期，现在能提前去换吗", "period"),  # may it be done early: how early the law allows
        ("公积金贷款能提前还吗", "yes_no"),  # paying a loan back early is no period of the law's
        ("现在才想起来申请延续，还来得及吗？", "period"),  # too late: how late the law allows
        (
            "请问拿到营业执照以后最迟几天内必须去备案？",
            "period",
        ),  # a deadline the person must keep; 拿到 is the story's
        ("最晚多久能拿到证", "duration"),  # the office's
        ("现在补备案还来得及吗？", "period"),
        ("办护照要多久能拿到，来不及能加急吗", "duration"),  # the office's time, not the person's deadline
        ("股份公司发起人最多可以有多少人", "number"),
        ("住房公积金个人住房贷款期限是多少", "period"),  # the loan's term is a period of the person's
        ("新成立的单位办缴存登记有没有期限", "period"),
        ("办理期限是多久", "duration"),  # the office's time
        ("去民政局离婚冷静期要等多久", "period"),  # a wait the law sets, however long one waits for it
        ("离婚冷静期是多少天，前后一共多久能拿到离婚证", "duration"),  # when the office is done: its time limit
        ("网上提交提取申请以后，法定几天之内给结果？", "duration"),  # when the office gives its result
        ("法定期限是多少天", "duration"),
        ("对工伤认定结果不服怎么办", "remedy"),  # disagreeing with a decision
        ("低保被取消了，想申请行政复议", "remedy"),
        ("简易注销公示期间没异议要等几天", "duration"),  # creditors' objections, not a remedy
        ("办护照多少钱", "amount"),
        ("孩子多大可以办身份证", "age"),
        ("法定婚龄是多少", "age"),  # 婚龄, the age of marriage
        ("要跑几次", "count"),
        ("在哪里办", "place"),
        ("咨询电话是多少", "phone"),
        ("需要带什么材料", "document"),
        ("集体户口能办居住证吗", "eligibility"),
        ("赠与合同是否需要公证", "yes_no"),
        ("下个月去扯证，要带户口本不", "yes_no"),  # a question ending in 不 asks yes or no, as 吗 does
        ("娃儿读小学要交学费不？", "yes_no"),
        ("公积金怎么提取", None),
        ("置换车辆后能否继续使用原号牌号码", "yes_no"),  # 号码 of a plate is no phone number
        ("请问被行政拘留过还能开出无犯罪记录证明吗", "yes_no"),  # the 证明 is the service, no paper to bring
        ("他这种未成年时候的犯罪记录，开证明时会不会查出来", "yes_no"),
        ("去派出所销户要带死亡证明吗", "document"),  # a 证明 to bring is a paper asked about
        ("还需要到指定机构办理亲子鉴定并出具证明，是真的吗", "document"),
        ("需要开什么证明", "document"),
        ("办个体执照当天能拿吗", "duration"),  # whether it is done the same day: how long the office takes
        ("结婚登记需要两个人当场签字吗", "yes_no"),  # 当场 of being there in person asks no time
        ("在外读大学的孩子算不算共同生活的家庭成员", "yes_no"),  # a verb and its negation: 算不算
        ("这么小的工程还用不用办施工许可证", "yes_no"),
    ],
)
def test_the_kind_of_answer_expected(ask: str, kind: str | None) -> None:
    assert answer_type(ask) == kind


@pytest.mark.parametrize(
    "ask",
    [
        "公司一直不给开公积金户会罚多少",
        "擅自营业的，最多会被罚多少钱？",
        "没规划证就盖楼按造价罚几个点",
        "超期了会不会罚款？",
    ],
)
def test_what_the_law_does_to_one_who_fails_is_a_penalty_asked_of_the_legal_basis_never_the_fee(ask) -> None:
    # 罚多少钱 asks no fee, whatever element the classifier reads (the fee's "不收费" answered it)
    assert answer_type(ask) == answer_type(ask, "fee") == "penalty"
    assert element_for("penalty", "fee") == element_for("penalty", "location") == "basis"
    # disagreeing with a penalty is still the remedies'
    assert answer_type("对处罚决定不服怎么办") == "remedy"


def test_of_several_kinds_of_answer_the_one_the_element_asked_holds_is_taken() -> None:
    ask = "公积金贷款审批要多长时间，房东催着要钱"
    assert answer_type(ask) == "amount"  # 要钱, by wording alone
    assert answer_type(ask, "time_limit") == "duration"  # the time limit is asked: 要钱 is the story's
    assert answer_type(ask, "location") == "amount"  # an element that holds neither changes nothing


def test_empty_and_greeting_only_messages() -> None:
    assert read_message("").asks == []
    assert read_message("您好").text == ""
    assert read_message("谢谢").asks  # nothing else said: what was said is kept


@given(st.text(max_size=400))
def test_any_text_is_read_without_raising(text: str) -> None:
    message = read_message(text)
    assert len(message.text) <= len(text)
    assert all(a.text for a in message.asks)


def test_a_lead_in_before_numbered_asks_is_no_ask_of_its_own():
    message = read_message(
        "您好，我在**路租了个门面准备开小饭馆。请问：1、食品经营许可证从申请到下证要多久？2、要不要交钱？"
    )
    assert [a.text for a in message.asks] == ["食品经营许可证从申请到下证要多久？", "要不要交钱？"]
    assert message.asks[0].answer_type == "duration"
    # "想问问：" too (it was read as "问：", an ask of its own, and the fee ask came second); "谢谢答复" closes
    message = read_message(
        "我母亲身份证下个月就到期了。想问问：1、换新身份证要交多少钱工本费？2、能在家附近办吗？谢谢答复。"
    )
    assert [a.text for a in message.asks] == ["换新身份证要交多少钱工本费？", "能在家附近办吗？"]
    assert message.story == "我母亲身份证下个月就到期了。"
    # a lead-in alone is still read as what was asked
    assert [a.text for a in read_message("请问").asks] == ["请问"]


@pytest.mark.parametrize(
    ("ask", "kind"),
    [
        ("来这边多长时间才能办居住证？", "period"),  # a wait the person must sit out first, not the office's time
        ("要住满多久才能申请", "period"),
        ("备案以后多长时间不开工会有影响？", "period"),  # a deadline to act, not the office's time limit
        ("项目备案后多久没开工就要撤回", "period"),
        ("身份证多久才能办下来", "duration"),  # how long the office takes
        ("孩子生下来以后最晚多长时间内必须去报户口？", "period"),  # 生下来 is no certificate coming down
        ("断缴了再交医保，要等多久才能开始报销？", "period"),  # a waiting period before a benefit, not the office's
        ("办身份证要等多久才能拿到", "duration"),
        ("投资额多少以下的可以不办？", "amount"),  # a threshold in money
    ],
)
def test_a_wait_before_one_may_apply_and_a_threshold_in_money_are_read_as_such(ask, kind):
    assert answer_type(ask) == kind


@pytest.mark.parametrize(
    ("ask", "kind"),
    [
        ("身份证丢了能在这边补吗", "elsewhere"),  # whether it may be done away from one's household registration
        ("离婚必须回户口所在地办吗", "elsewhere"),
        ("驾照异地能换吗", "elsewhere"),  # a modal between 异地 and the act
        ("请问在本市能不能直接办？", "elsewhere"),  # the city one lives in, as the hotline writes it
        ("请问能不能在我们现在住的街道申请？", "elsewhere"),  # where one lives now, told as a place
        ("我在本市打工，能办居住证吗", "eligibility"),
        ("我在这边打工才三个月，能办居住证不", "eligibility"),  # 在这边 is the story's, not where it is done
        ("异地就医备案能在网上办吗", "yes_no"),  # 异地 of the service's name
        ("在外地办居住证要多少钱", "amount"),  # how much, wherever
    ],
)
def test_whether_it_may_be_done_here_is_an_ask_of_its_own(ask, kind):
    assert answer_type(ask) == kind


def test_the_asking_clauses_of_a_question_leave_its_story_out():
    assert asking_clauses("孩子派位到实验小学了，报到要带什么材料") == ["报到要带什么材料"]
    assert asking_clauses("我家是学区房，孩子小学报名要带什么材料？") == ["孩子小学报名要带什么材料？"]
    assert asking_clauses("能否按第二顺位单校划片") == ["能否按第二顺位单校划片"]
    assert asking_clauses("谢谢领导") == []


@pytest.mark.parametrize(
    ("ask", "policy"),
    [
        ("想咨询一下非京籍幼升小的政策", True),
        ("政策是否可以变通一些呢", True),
        ("生育登记的政策依据是什么", False),  # the law behind it: basis
        ("公积金提取的政策文件是啥", False),
        ("结婚登记要带什么材料", False),
    ],
)
def test_a_policy_is_asked_unless_its_law_is(ask, policy):
    assert asks_policy(ask) is policy


# the topics the guides word otherwise than people do (assistant.qa.passages._TOPICS): what each reader takes as
# asking it, and what it must not
TOPIC_ASKS = {
    deputes: [  # someone else doing it for the person
        ("协议离婚能找律师替我去办吗", True),
        ("户口本丢了我老婆能去补吗", True),
        ("精神残疾的孩子办残疾证家长能代办不", True),
        ("签注能不能我这个当妈的替他去办？", True),
        ("我在外地打工回不去，我爸能帮我办低保吗", True),
        ("提取公积金可以委托别人办吗", True),
        ("股份公司设立能委托代理机构办吗", True),
        ("良民证可以委托别人帮我开吗", True),
        ("下个月想跟女朋友去领证，要先预约再去吗", False),  # going together, not for her
        ("给孩子办医保要带什么", False),  # the one it is for
        ("我父母可以申请高龄津贴吗", False),  # whether they may, not whether they may for another
        ("办护照要本人去吗", False),
        ("自主研发项目需要提交委托、合作研究开发项目的合同或协议吗", False),  # a contract's 委托
        ("逐步以地下埋藏代替电线杆的构架", False),
        ("是否有指定的政策申报代理机构？", False),  # an agency one may hire
    ],
    revives: [  # an old certificate found again
        ("请问找回来的旧身份证还能不能用？", True),
        ("身份证补好了旧的又找着了还能用不", True),
        ("驾照补办了，原来那本找回来了还能开车用吗", True),
        ("身份证丢了找不到了怎么补", False),  # lost, not found again
        ("补办的身份证有效期多久", False),
    ],
    hands_back: [  # the old certificate handed back once a new one is had
        ("换新身份证时旧证要不要交", True),
        ("正式身份证拿到了，临时的那张还要留着吗", True),
        ("身份证要交多少钱", False),  # a fee
        ("旧的还能用吗", False),
    ],
    begins_paying: [  # from when a benefit granted is paid
        ("低保批下来以后从什么时候开始发钱？", True),
        ("残疾人两项补贴资格审定合格后从何时起计发？", True),
        ("退休金从哪个月开始领", True),
        ("低保多久能批下来", False),  # how long the office takes
        ("什么时候去领证", False),  # a certificate, not money
    ],
    twice: [  # holding, claiming or doing it twice
        ("在老家办过一本残疾证，现在想在这边再办一本，可以同时拿两本吗？", True),
        ("公积金贷款没还完能再贷第二笔吗", True),
        ("同一张购房发票提过一次公积金，还能再提吗", True),
        ("离婚必须两个人一起去吗", False),  # both of a couple, not two of a thing
        ("我刚来这边打工两个月，够条件办居住证吗", False),
    ],
}


@pytest.mark.parametrize(
    ("reader", "ask", "asked"),
    [(reader, ask, asked) for reader, cases in TOPIC_ASKS.items() for ask, asked in cases],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_an_ask_on_a_topic_the_guides_word_otherwise_is_told_apart(reader, ask, asked):
    assert reader(ask) is asked


def test_a_fine_is_asked_only_in_a_clause_that_asks():
    assert asks_penalty("请问这样拖着不过户会被罚款吗？罚多少？")
    assert not asks_penalty("公共停车位不允许我们停车，否则就被罚款；希望给予一份廉价的停车服务")


@pytest.mark.parametrize(
    "element", ["time_limit", "result", "fee", "location", "contact", "materials", "process", "visits", "online", None]
)
def test_a_period_the_law_sets_is_asked_of_the_conditions_whatever_other_element_the_words_suggest(element):
    # "请问公司成立以后最晚要在几天之内去把单位社保开户登记办了": 去把……办了 read as where to go; a place states no
    # period, the conditions do (自成立之日起三十日内); nor do the papers ("新成立的单位要在多少天内去办缴存登记" was
    # read as asking materials) or the steps ("清算结束后多少天内要去申请注销登记": process). A share of the person's
    # (首付最少几成: fee, 按工资百分之几: materials) is a condition too
    assert element_for("period", element) == "conditions"
    assert element_for("ratio", element) == "conditions"
    assert element_for("place", "location") == "location"


@pytest.mark.parametrize("element", ["visits", "location", "online", "contact"])
def test_what_one_pays_is_asked_of_the_fee_whatever_place_or_channel_the_ask_goes_on_to(element):
    # "想问下第一次办社保卡要不要钱，在哪里可以办": one ask of two clauses, read as the visits; 要不要钱 is the fee's
    assert element_for("amount", element) == "fee"
    assert element_for("amount", "conditions") == "conditions"  # how much a loan may be is a condition


def test_the_law_behind_a_period_is_still_its_basis_and_how_many_papers_still_the_materials():
    assert element_for("period", "basis") == "basis"  # 冷静期是哪部法律规定的
    assert element_for("number", "materials") == "materials"  # 补领结婚证要几张照片
    assert element_for("number", None) == "conditions"  # 一对夫妻可以生几个孩子: how many the guide allows


@pytest.mark.parametrize(
    ("kind", "element"),
    [
        ("duration", "time_limit"),
        ("amount", "fee"),
        ("count", "visits"),
        ("validity", "result"),
        ("age", "conditions"),
        ("number", "conditions"),
        ("ratio", "conditions"),
        ("benefit", "conditions"),
    ],
)
def test_a_quantity_is_never_asked_of_the_telephone_number_or_the_ways_online(kind, element):
    # "……是多少" reads to the element classifier as asking a telephone number ("股份公司发起人最多可以有多少人",
    # "公积金缴存比例最低是多少" were answered with 咨询电话); the element stating that kind of quantity is asked
    assert element_for(kind, "contact") == element
    assert element_for(kind, "online") == element  # nor of the ways online ("网上提交以后几天给结果")
    assert element_for("phone", "contact") == "contact"
    assert element_for("place", "contact") == "contact"


@pytest.mark.parametrize(
    ("text", "element"),
    [
        ("我向您献策。建议能够在全国范围内，异地办理结婚证、离婚证，不再需要回到某一方户口所在地办理。", "location"),
        ("目前婚姻登记需在任意一方户籍所在地办理，希望婚姻登记全国联网，在任何城市都能办理。", "location"),
        ("跨省转移社保太麻烦，希望能在手机或者电脑上办理，不用两地跑。", "online"),
        ("建议取消二手房交易的限购政策。", None),  # a proposal, but not about where or how: no element of a guide's
        # one policy wished the same everywhere is no wish to do a service elsewhere
        ("异地就医报销比例低，建议国家统一规范，异地就医报销比例应当一致。", None),
        ("希望婚姻登记全国联网，异地可以办吗？", None),  # it asks: its ask says what
        ("医保异地备案咨询电话", None),  # a question typed into a search box wishes nothing
    ],
)
def test_a_message_wishing_a_service_could_be_done_elsewhere_or_online_asks_where_or_whether_online(text, element):
    assert wished(text, [ask.text for ask in read_message(text).asks] or [text]) == element


@pytest.mark.parametrize(
    ("ask", "contacts"),
    [
        ("车管所电话多少", True),
        ("有啥投诉渠道", True),
        ("找谁咨询", True),
        ("拨打12345可以吗", True),
        ("身份证号码写错了怎么改", False),  # an ID card's number
        ("能否继续使用原号牌号码", False),  # a plate's
        ("新能源汽车号牌选号方式", False),
    ],
)
def test_an_ask_writes_of_contacting_anyone_only_in_words_of_contacting(ask, contacts):
    assert asks_contact(ask) is contacts


def test_what_is_asked_once_a_first_ask_is_granted_is_an_ask_of_its_own():
    # "不知可不可以，如果可以需要办理什么手续": whether first (the conditions), then the papers; read as one ask, the
    # papers came first (a document is read before a yes or no)
    message = read_message(
        "领导您好，孩子今年满6周岁，我们想给孩子办理延缓入学，不知可不可以，如果可以需要办理什么手续，谢谢。"
    )
    assert [a.text for a in message.asks] == ["不知可不可以", "如果可以需要办理什么手续"]
    assert [a.answer_type for a in message.asks] == ["yes_no", "document"]
    # what is told after the granted ask is the story, not an ask ("只是单纯想让孩子继续在幼儿园学习一年" asks nothing
    # about 幼儿园, a service the catalogue lacks)
    message = read_message(
        "我们想给孩子办理延缓入学，不知可不可以，如果可以需要办理什么手续，孩子并没有长期的疾病，"
        "只是单纯想让孩子继续在幼儿园学习一年。"
    )
    assert [a.text for a in message.asks] == ["不知可不可以", "如果可以需要办理什么手续"]
    assert message.story.endswith("只是单纯想让孩子继续在幼儿园学习一年。")
    # a condition that follows no ask of whether is part of its ask
    assert len(read_message("请问，如果可以网上办，需要上传什么材料？").asks) == 1


def test_an_ask_whether_what_one_heard_is_true_asks_about_what_one_heard():
    # "是真的吗" alone asks nothing a guide answers (the numbered hotline ask above was answered with the fee): what
    # is heard, from 听说, is the ask; else the clause before the tag
    message = read_message("我们离政务中心比较远，听说刻好的章可以寄过来，是真的吗？")
    assert [a.text for a in message.asks] == ["听说刻好的章可以寄过来，是真的吗？"]
    assert message.story == "我们离政务中心比较远，"
    message = read_message("2、听说集体户口子女随迁落户**，还需要办理亲子鉴定，是真的吗？")
    assert [a.text for a in message.asks] == ["听说集体户口子女随迁落户 ，还需要办理亲子鉴定，是真的吗？"]
    assert [a.text for a in read_message("孩子快满六岁了，身份证丢了要先登报，对吗？").asks] == [
        "身份证丢了要先登报，对吗？"
    ]
