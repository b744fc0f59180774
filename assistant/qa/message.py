"""The message reader: what a person wrote, taken apart before it is read as a question.

Real messages to a hotline are not the short questions of a search box: a salutation (领导您好), a story (我是外省
户籍，离异，孩子随我生活), masked personal data (``**``), then one or several questions, often numbered, and a
closing formula (望领导给予回复). The reader strips the salutations, thanks and masks (a mask is an unknown span:
it becomes a gap, never a word to read or a typo to repair), splits the rest into sentences, and tells the asks
from the story. For each ask it names the kind of answer expected (a duration, an amount, an age …), which the
answer uses to lead with the guide's sentence that states it.

Pure text work, no index: it runs in microseconds and is tested on its own.

Example:
    >>> m = read_message("尊敬的领导您好！我是**区居民，刚退休。1、公积金怎么提取？2、要多久能到账？望回复，谢谢！")
    >>> m.story
    '我是 区居民，刚退休。'
    >>> [(a.text, a.answer_type) for a in m.asks]
    [('公积金怎么提取？', None), ('要多久能到账？', 'duration')]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

AnswerType = Literal[
    "duration",
    "validity",
    "period",
    "amount",
    "benefit",
    "age",
    "ratio",
    "count",
    "number",
    "place",
    "phone",
    "document",
    "yes_no",
    "eligibility",
    "elsewhere",
    "remedy",
    "penalty",
]

LONG = 40  # characters from which a message counts as long (the evaluation's long / short breakdown)
MAX_ASKS = 3  # asks of one message answered in one reply
FOCUS_CHARS = 160  # of asks and story read for the subject: enough on real_dev, and a 300-character message stays fast

_MASK = re.compile(r"[*＊]+|[×xX]{2,}")
_TITLE = (
    r"(?:领导|区长|市长|县长|镇长|乡长|书记|主任|局长|处长|科长|所长|同志|工作人员|老师|管理员|客服|"
    r"相关部门|有关部门|政府|热线|12345)"
)
# a salutation: "尊敬的领导：", "**区长您好！", "您好，" — only at the start of the message, only when it ends with
# a greeting or a punctuation mark, so "领导干部退休…" is not taken for one
_SALUTATION = re.compile(
    r"^\s*(?:(?:尊敬的|敬爱的|亲爱的)?[\u4e00-\u9fff ]{0,8}?" + _TITLE + r"们?\s*(?:[您你]好|好)?[\s，,。.！!：:、~～]+"
    r"|(?:尊敬的|敬爱的)?[\u4e00-\u9fff ]{0,8}?" + _TITLE + r"们?[您你]好"
    r"|[您你]好(?:呀|啊)?|hi|hello)[\s，,。.！!：:、~～?？]*",
    re.IGNORECASE,
)
# closing formulas, dropped wherever they stand when a sentence is made of nothing else
_CLOSING = re.compile(
    r"(?:非常|十分|万分)?(?:谢谢|感谢|多谢|辛苦)(?:您|你|你们|您们|领导|各位|了|啦|！|!)*(?:的)?(?:答复|回复|解答)?"
    r"|(?:望|希望|恳请|请|盼|期待|烦请|麻烦)(?:各位|领导|相关部门|有关部门|政府|您|你们)*(?:给予|给|能|能够|尽快|及时|早日|予以|帮忙|帮助)*"
    r"(?:回复|答复|回电|解答|解决|处理|协调|核实|帮助|帮忙|告知)(?:一下|为盼|为谢)?"
    r"|盼复|此致|敬礼|静候佳音|不胜感激|感激不尽|打扰了|祝好|祝工作顺利|祝您工作顺利"
)
_CLOSING_AT_END = re.compile(r"[，,\s]*(?:" + _CLOSING.pattern + r")[\s，,。.！!]*$")
_WORDS = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]")
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")
# numbered asks: "1、", "2.", "(3)", "①", "第一，", "一是", "另外", "还有" (a mark after a clause or at the start)
_NUMBER = re.compile(
    r"(?:^|(?<=[\s，,。：:；;？?！!]))(?=(?:[（(]?[1-9一二三四五六七八九][)）、．.](?!\d)|[①-⑩]|第[一二三四五六七八九][，,、个是]|[一二三四五]是|另外|此外|还有就是|还想问|再问))"
)
_LEAD_IN = re.compile(
    r"我?(?:请问一下|请问|想问问|想问一下|想问|问问|想咨询|咨询一下|咨询下|问一下|想了解|想知道|请告知|下列|以下|如下|几个问题|问题)"
)
_NUMBERING = re.compile(r"^(?:[（(]?[1-9一二三四五六七八九][)）、．.]|[①-⑩])\s*")
_ASKING = re.compile(
    r"[？?]|吗|呢|么|什么|啥|怎么|怎样|咋|如何|哪|多少|多久|多长|几[天个次岁年月项份]|能否|是否|可否|可不可以|能不能"
    r"|是不是|有没有|行不行|要不要|需不需要|请问|想咨询|咨询一下|咨询下|想问|问一下|问问|想了解|想知道|请告知|告诉我|求解答|需要.{0,6}(?:材料|证件|手续)"
)
# the forms of asking whether (a yes or no); a clause of them before the one a question mark ends begins the ask
# ("能不能在手机上办，不用跑大厅？")
_WHETHER = re.compile(r"是否|能否|可否|可不可以|能不能|是不是|有没有|行不行|要不要|需不需要|会不会")
_MARKED = re.compile(r"[？?]|请问|想问|想咨询|咨询一下|咨询下|问一下|想了解|想知道|请告知")
_TYPES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("phone", re.compile(r"电话|热线|联系方式|手机号")),
    (
        "amount",
        re.compile(
            r"多少钱|费用|收费|收钱|花多少|花钱|[交缴]多少(?!年|个?月|天|日)|要钱|付费|免费|工本费|价格|多少元|多钱|贵不贵"
            r"|(?:投资额?|金额|资金)[^，,。？?]{0,4}多少|多少万"  # 投资额多少以下可以不办: a threshold in money
            r"|费[^，,。？?]{0,6}多少(?![年月天日岁次人个项份张名])|档次"  # 登记费收多少, 缴费档次最低多少
        ),
    ),
    ("age", re.compile(r"多大|几岁|年龄|婚龄|多少岁|周岁|岁(?:以上|以下|之前|以后|才能|可以)")),
    (
        "duration",
        re.compile(
            r"多久|多长时间|多少天|几天|几个工作日|多少个?工作日|几个月|几年|多少年|期限|时限|什么时候|什么时间|何时|多快|多长|有效期"
            r"|领多久|多少个月|哪天|截止"
            # done the same day: how long the office takes ("当天能拿吗"; not 当场签字, which is being there)
            r"|当[天场](?:就|能|可以|可)?(?:拿|领|取|办好|办完|办结|出证|发证|下证|下来)"
        ),
    ),
    (
        "ratio",
        re.compile(r"比例|几成|百分之几|百分比|多少成|首付[^，,。？?]{0,6}多少|多少股份|占多少|占比"),
    ),  # 首付最低要多少: a share
    ("count", re.compile(r"几次|多少次|跑几|几趟|多少趟")),
    ("number", re.compile(r"几个|多少个|几项|几份|几张|多少人|几个人|几人|多少名|几名")),
    (
        "place",
        re.compile(r"哪里|哪儿|哪个(?:部门|窗口|单位|地方|派出所|大厅)|在哪|去哪|什么地方|地点|地址|窗口|网点|大厅"),
    ),
    # (a 证明 to bring is a paper asked about; one to be issued, 开出无犯罪记录证明, is the service asked whether)
    (
        "document",
        re.compile(
            r"材料|证件|(?:什么|哪些|哪个|哪种|啥|带|拿|交|提交|提供|准备|出具|开具)[^，,。？?]{0,6}证明|带什么|带啥|带哪些|手续|资料"
            r"|提交什么|准备什么|准备哪些"
        ),
    ),
    (
        "eligibility",
        re.compile(r"条件|资格|符合|(?:能|可以|可否|能否|能不能)(?:办|申请|办理|领|提取|享受|迁|落户|参保)"),
    ),
    (
        "yes_no",
        re.compile(
            r"吗(?:[？?。！!，,]|$)|(?<=[\u4e00-\u9fff])不(?:[？?。！!，,]|$)"  # 要带户口本不: asked as 吗 asks
            r"|([\u4e00-\u9fff])不\1"  # 算不算, 够不够, 属不属于: a verb and its negation ask yes or no
            r"|" + _WHETHER.pattern
        ),
    ),
)


# Two questions of "how long" and two of "how much" that a guide answers in different places:
# - "duration": how long the office takes (办结时限: 办身份证要多久, 多久能到账);
# - "validity": how long a certificate or a filing lasts (有效期, 管多久);
# - "period": a period the law sets for the person: a deadline to act, how long a right or benefit lasts, how many
#   years one must contribute, how often, a cooling-off period (工伤认定多久内申请, 到期前多久换证, 失业金能领多久,
#   交满多少年, 多久检验一次, 冷静期多久);
# - "amount": what a person pays (工本费, 多少钱);
# - "benefit": what a person receives (低保每月领多少, 失业金一个月多少钱): never answered with 收费标准：不收费.
_PROCESSING = re.compile(
    r"办好|办完|办下来|(?<![生定住留停])下来|拿到|拿证|取证|出证|下证|到账|审批|审核|批下来|批复|批不批|批准|答复|回复|告诉我|通知我"
    r"|出结果|给结果|办结|多快|等多久|当天|当场|工作日|作出决定|给决定|来检查"
)
_HOW_LONG = r"(?:多久|多长时间|[几多少]+个?(?:天|日|周|月|年|工作日))"  # a span of time asked
_PERIOD = re.compile(
    rf"{_HOW_LONG}(?:以内|之内|内)|提前|(?:之前|以前|前)(?:多久|几|多少)"
    r"|最晚|最迟|截止|逾期|过期|到期前|期满前|超过.{0,8}(?:还|能|可以|会)|申请期限|报名期限|申报期限"
    r"|领多|发多|能领|可以领|领几|交满|缴满|交够|缴够|缴费.{0,4}年|交了?多少年|满多少年|满几年"
    r"|多久.{0,4}一次|几年一次|每几年|多久(?:必须|得|应当|应该)|冷静期|等待期"
    r"|满多久|满多长时间|住满|住够|(?:多久|多长时间)(?:以后|之后|后)?才(?:能|可以)"  # 来多久才能办居住证: a wait first
    r"|(?<!办理)(?<!办结)(?<!审批)(?<!审核)(?<!承诺)(?<!法定)期限"  # 贷款期限: the loan's term, not the office's time
    rf"|{_HOW_LONG}(?:还|都|一直)?[不没未](?:开工|办|用|去|交|缴|换|审|检|领)"  # 多长时间不开工: a deadline
)
# a wait the law sets is a period however long one waits for it ("离婚冷静期要等多久": not the office's time; but
# "冷静期是多少天，前后一共多久能拿到离婚证" asks when the office is done)
_LAWFUL_WAIT = re.compile(r"冷静期|等待期")


def _waited_out(text: str) -> str:
    """A question without the 等多久 of a wait the law sets, which asks no time of the office's."""
    return text.replace("等多久", "") if _LAWFUL_WAIT.search(text) else text


# a deadline the person must keep, however what has happened is told ("拿到营业执照以后最迟几天内必须去备案": 拿到 is
# the story's, not the office's doing)
_OBLIGED = re.compile(r"(?:最迟|最晚)[^，,。？?]{0,8}(?:必须|应当|应该|得|要)去?(?:办|备案|申请|登记|申报|报|交|换|缴)")
_EARLY = re.compile(r"提前(?!还|退休)")
# ... and whether it is too late, how late the law allows ("现在才想起来申请延续，还来得及吗", "补备案还来得及吗")
_LATE = re.compile(r"来得及|来不及|晚不晚|太晚|晚了吗|赶得上|赶不上")
# whether it may be done away from one's household registration, here or elsewhere ("身份证丢了能在这边补吗",
# "离婚必须回户口所在地办吗"): what the guide's 通办范围 (cross_region) says; a place in the story ("我户口在外省")
# asks nothing
_PLACES = "这边|这里|这儿|本地|本市|当地|外地|外省|省外|异地|老家|户籍地|户口所在地|原籍|居住地|工作地"
# where one lives now, told as a place ("在我们现在住的街道申请", "在现在住的地方办"): here, away from the household
_LIVING = r"住的(?:地方|街道|社区|城市|区|这边)"
PLACE_WORDS = frozenset(_PLACES.split("|"))  # words of where one is or does something, not of what
_DOING = "办|补|换|领|开|申请|交|缴|参加|参保|读|上学|转|迁|过户|提取|登记|受理|来"
_AWAY = re.compile(
    rf"(?:在|到|去|回)[^，,。？?！!]{{0,6}}?(?:{_PLACES}|{_LIVING})[^，,。？?！!]{{0,8}}?(?:{_DOING})"  # 能在这边补吗; not 在这边打工
    rf"|(?:异地|跨省)(?:能|可以|可|也能|也可以)?(?:{_DOING})|全国通办|回老家|回去(?:{_DOING})"  # 异地能换吗
)
# how long until a benefit may be used is a waiting period the law sets, however the wait is asked ("要等多久医保才能用",
# "交了医保多久可以报销")
_WAITING = re.compile(
    r"才(?:能|可以)(?:开始)?(?:用|使用|报销|享受|领|生效)|(?:多久|多长时间)(?:能|可以)(?:开始)?(?:用|使用|报销|享受|生效)"
)
_VALIDITY = re.compile(r"有效期|[管用]多久|[管用]几|有效多久|能用多长|[能可]待|停留|逗留")
_RECEIVED = re.compile(
    r"(?:领|拿|发|给|补|补助|补贴)(?:多少|几)(?!天|日|周|年|个?月|久|次|岁|项|份|张|个工作日)"
    r"|(?:津贴|补贴|补助|救助金?|低保|保障金|保险金|养老金|退休金|失业金|抚恤金?|待遇)[^，,。？?]{0,8}"
    r"(?:多少钱|多少元|多少(?!天|日|周|年|个?月|次|岁)|标准|金额)"
    r"|每个?月[^，,。？?]{0,4}多少(?:钱|元)"  # 每个月大概多少钱: paid monthly is a benefit (交 and 缴 make it a fee)
)
_PAID = re.compile(r"交|缴|付|收费|工本费|手续费|办理费")
# disagreeing with a decision: review, appeal, lawsuit (对工伤认定结果不服怎么办); not a creditor's 没异议; or refused
# (被拒了怎么办, 不予受理, 审核没通过), not a request still waiting (还没批下来)
_REMEDY = re.compile(
    r"不服|(?<![没无])异议|复议|复核|申诉|行政诉讼|起诉|维权|讨个?说法|救济|不认可"
    r"|被拒|拒绝(?:受理|办理|登记)|不予(?:受理|批准|许可|登记|确认|认定|办理)|驳回|(?:审核|审批|申请)(?:没|未|不)通过"
)
# what the law does to one who does not do it, or does it wrong (罚多少, 会被怎么处罚, 法律责任): the penalty the law the
# guide cites sets, never its fee
_PENALTY = re.compile(r"罚|法律责任|法律后果")


# the kinds of answer each element holds
# (online and fee say yes or no themselves: 可以网上办理, 不收费; so does visits, 须本人到场, but an ask is read as
# about visits for a mere 去 too, "会不会写上去", so its yes or no is not taken as held)
_HELD: dict[str, frozenset[AnswerType]] = {
    "time_limit": frozenset({"duration", "period", "validity"}),
    "fee": frozenset({"amount", "benefit", "yes_no"}),  # the fee element is asked of a benefit too: 低保每月领多少钱
    "result": frozenset({"validity"}),
    "visits": frozenset({"count"}),
    "online": frozenset({"yes_no"}),
    "contact": frozenset({"phone"}),
    "location": frozenset({"place"}),
    "materials": frozenset({"document"}),
    "rights_remedies": frozenset({"remedy"}),
}


def words_inside(text: str, words: Sequence[str], pattern: re.Pattern[str]) -> set[str]:
    """The words that ``text`` writes only inside what ``pattern`` finds in it."""
    spans = [found.span() for found in pattern.finditer(text)]
    if not spans:
        return set()
    return {
        word
        for word in words
        if (places := [found.span() for found in re.finditer(re.escape(word), text)])
        and all(any(a <= start and end <= b for a, b in spans) for start, end in places)
    }


_WORDING: dict[AnswerType, re.Pattern[str]] = {
    "remedy": _REMEDY,
    "penalty": _PENALTY,
    "elsewhere": _AWAY,
    **dict(_TYPES),
}


# collecting what the office issues (去哪里拿证, 什么时候能取证, 领取): in a conversation, the result of its entry
# (its 送达方式) or where it is handed over, whatever kind of answer is asked; no service of another entry
_COLLECTED = re.compile(r"[拿领取](?:证|照|件)|领取|出证")


def asking_words(text: str, words: Sequence[str], kind: AnswerType | None) -> set[str]:
    """The words that only say what kind of answer is asked (不服 asks for the remedies, 多少钱 for an amount, 拿证
    for the result handed over): not what the question is about ("不服怎么办" after 居民身份证补领 asks about nothing
    but that)."""
    pattern = _WORDING.get(kind) if kind else None
    asking = words_inside(text, words, pattern) if pattern else set()
    return asking | words_inside(text, words, _COLLECTED)


_CLAUSES = re.compile(r"[^，,。；;！!？?]+[？?]?")


def asking_clauses(text: str) -> list[str]:
    """The clauses of ``text`` that ask something ("孩子派位到实验小学了，报到要带什么材料" -> 报到要带什么材料): what a
    message tells beside them is its story."""
    return [clause for clause in _CLAUSES.findall(text) if _ASKING.search(clause)]


def asks_penalty(text: str) -> bool:
    """Whether a clause of ``text`` that asks something asks what the law does to one who fails ("拖着不过户会被罚款
    吗？罚多少？"); not a fine told in the story ("否则就被罚款", of a wish for cheaper parking)."""
    return any(_PENALTY.search(clause) for clause in asking_clauses(text))


# a proposal that asks nothing (建议取消…, 呼吁…, #人民建议#): a change for the government to weigh, which no guide
# answers; the refusal gives the hotline, which takes proposals. Such messages took the guide of whatever their
# subject shared words with among the unlabelled real messages (二手房 proposals 不动产转移登记, school proposals the
# enrolment). One about doing a service elsewhere or online ("建议婚姻登记全国通办") is answered by the guide's place
# and online elements and stays; so does 建议 as a noun ("给与一定的建议", "几点建议")
PROPOSAL = re.compile(r"(?<![的些点条])建议|呼吁|献策")
ANYWHERE = re.compile(r"异地|跨省|跨市|跨区|全国|联网|通办|线上|网上|在线|户籍地|户口所在地|回老家|两地跑")
# ... of doing something there: applying, having it handled, going ("异地也能办", "线上申办", "不用两地跑"), not a policy
# wished the same everywhere ("建议……异地就医报销比例应当一致", "实现全国统筹")
_HANDLED = re.compile(r"办|申请|受理|登记|经办|跑")
# ... and a wish, as a proposal is or in other words (希望, 恳请)
_WISH = re.compile(PROPOSAL.pattern + r"|希望|盼望|恳请")
_ONLINE = re.compile(r"网上|线上|在线|手机|电脑|掌上|APP|app|小程序")


def wished(text: str, asks: Sequence[str]) -> str | None:
    """The element a message asks that asks nothing and wishes a service could be done elsewhere or online
    ("建议能够在全国范围内，异地办理结婚证", "希望婚姻登记全国联网"): where it may be done (``location``, with the guide's
    通办范围), or ``online`` where it wishes for it on a phone, a computer or the web; None for any other message."""
    if any(asking_clauses(ask) for ask in asks) or not _WISH.search(text) or not done_anywhere(text):
        return None
    return "online" if _ONLINE.search(text) else "location"


def done_anywhere(text: str) -> bool:
    """Whether a message is about doing a service elsewhere or online (see :data:`ANYWHERE`, :data:`_HANDLED`)."""
    return bool(ANYWHERE.search(text)) and bool(_HANDLED.search(text))


def waits_on_office(text: str) -> bool:
    """Whether a question of how long is about the office's part: a decision, a certificate, the money
    ("多少天内会作出决定", "几天出证", "多久到账")."""
    return bool(_PROCESSING.search(text))


def holds(element: str | None, kind: AnswerType | None) -> bool:
    """Whether the element states the kind of answer asked (a fee an amount, the time limit a duration)."""
    return kind in _HELD.get(element or "", frozenset())


# whether someone else may do it for the person: 代办, 可以委托, 替我去办, 帮我办, "我老婆能去补吗", "家长能代办不" (as
# written; the one the service is for, "给孩子办", is no one else, nor one who goes along, "跟女朋友去领证"; nor is a
# 委托 of a contract's, "委托、合作研究开发项目的合同", nor 代替, nor an agency one may hire, "指定的申报代理机构")
_DEPUTY = re.compile(
    r"代(?:办|领|签|交|缴|取|为)|代理人|受托|委托书"
    r"|委托(?:他人|别人|家人|家属|亲属|朋友|代理|律师|中介|村|居)|(?:能|可以|可否|能否|能不能|可不可以)委托"
    r"|替(?:我|他|她|孩子|老人|家人|本人)"
    r"|帮(?:我|他|她|孩子|老人)(?:们)?去?(?:办|开|领|补|交|申请|签|取|跑)"
    r"|(?<![跟和与同女男])(?:别人|他人|其他人|家人|家里人|亲属|亲戚|朋友|律师|中介|父母|爸妈|我妈|我爸|老婆|老公|媳妇|妻子|丈夫|爱人|家长"
    r"|子女|儿女|儿子|女儿|村里|社区)(?:能|可以|能不能|可不可以|能否|可否)?(?:去|帮|替|代)(?:我|他|她)?(?:们)?"
    r"(?:办|补|领|开|申请|交|签|取|跑)"
)


def deputes(text: str) -> bool:
    """Whether an ask is about someone else doing the service for the person ("能找律师替我去办吗", "户口本丢了我老婆能
    去补吗", "家长能代办不"): the guide's sentence on who may apply for another answers it."""
    return bool(_DEPUTY.search(text))


# from when a benefit granted is paid ("低保批下来以后从什么时候开始发钱", "两项补贴审定合格后从何时起计发", "退休金从哪个
# 月开始领"): not how long the office takes, nor when a certificate is collected ("什么时候去领证")
_PAID_SINCE = re.compile(
    r"(?:什么时候|何时|哪个月|哪一个月|几月份?|哪天)(?:起|开始)?[^，,。？?]{0,3}(?:发|领|计发|发放|享受|到账|给钱)(?![证照卡本])"
    r"|从何时起|从哪(?:个月|天|一天)(?:起|开始)"
)


def begins_paying(text: str) -> bool:
    """Whether an ask is about from when a benefit granted is paid."""
    return bool(_PAID_SINCE.search(text))


# whether one may hold, claim or do it twice ("在老家办过一本残疾证，现在想在这边再办一本，可以同时拿两本吗", "公积金贷款
# 没还完能再贷第二笔吗", "能不能两边都报名", "还能再交灵活就业养老吗")
_TWICE = re.compile(
    r"同时(?:拿|持有|有|领|享受|参加|交|缴|申请|报名|办)|两[本张份项笔边处家套](?:都|一起)?"
    r"|第二[本张个笔套份]|再(?:贷|办一|领一|交一|提|申请一|报一)|重复(?:办|领|提|申请|参保|缴)"
)


def twice(text: str) -> bool:
    """Whether an ask is about holding, claiming or doing a service twice: the guide's limit (数量限制) answers it."""
    return bool(_TWICE.search(text))


# whether the old certificate is to be handed back once a new one is had ("换新身份证时旧证要不要交", "正式身份证拿到了，临时
# 的那张还要留着吗"): not a fee, however 交 reads
_HANDED_BACK = re.compile(
    r"(?:旧|原来的?|原先的?|以前的?|老的)(?:证|卡|本|那张|那本)?[^，,。？?]{0,6}"
    r"(?:要不要|需不需要|用不用|还要|还得|得)(?:上交|交回|交|收回|留)"
    r"|(?:还要|要不要|还用|还得)留着"
)


def hands_back(text: str) -> bool:
    """Whether an ask is about handing back the old certificate (or keeping it) once a new one is had."""
    return bool(_HANDED_BACK.search(text))


# whether the old certificate, found again after a new one was issued, still counts ("补领以后原来的身份证找到了还能用吗",
# "身份证补好了旧的又找着了还能用不")
_FOUND_AGAIN = re.compile(r"找到|找回|找着|找见")
_STILL_GOOD = re.compile(r"能[^，,。？?]{0,3}用|可以[^，,。？?]{0,3}用|继续用|有效|作废|管用")


def revives(text: str) -> bool:
    """Whether an ask is about an old certificate found again, whether it still counts: the guide's sentence on the
    old one being void answers it."""
    return bool(_FOUND_AGAIN.search(text)) and bool(_STILL_GOOD.search(text))


# the law a guide rests on, asked for: 政策依据, 政策文件, 出处 (basis)
_LAW_ASKED = re.compile(r"依据|文件|出处|法律|法规|条例|规章|哪条|哪一条")


# the words of asking whom to contact: a telephone number, a hotline, a complaint (not the 号码 of a number plate)
_CONTACT = re.compile(
    r"电话|热线|联系|咨询|投诉|举报|找谁|问谁|渠道|客服|手机号|(?<!号牌)(?<!车牌)(?<!身份证)号码|123\d\d"
)


def asks_contact(text: str) -> bool:
    """Whether an ask writes a way of contacting anyone ("车管所电话多少", "有啥投诉渠道"): the element classifier
    also reads a plate's 号码 and a 方式 as one ("置换车辆后能否继续使用原号牌号码", "新能源汽车号牌选号方式")."""
    return bool(_CONTACT.search(text))


def asks_policy(text: str) -> bool:
    """Whether an ask is about a 政策 as people mean it, who may and on what terms ("非京籍幼升小的政策", "现行政策是必须
    房屋是本人名下……政策是否可以变通"): the guide's conditions; not the law behind it (:data:`_LAW_ASKED`)."""
    return "政策" in text and not _LAW_ASKED.search(text)


# the element that states a quantity of each kind, where the element classifier took the ask for one of a telephone
# number ("……是多少") or of the ways online (网上提交……几天): how long the office takes is its time limit, a fee
# its fee, how often one goes its visits, a certificate's validity its result, and a period, an age, a number or a
# share of the person's a condition
_QUANTITY: dict[AnswerType, str] = {
    "duration": "time_limit",
    "amount": "fee",
    "count": "visits",
    "validity": "result",
    "period": "conditions",
    "age": "conditions",
    "number": "conditions",
    "ratio": "conditions",
    "benefit": "conditions",
}


def element_for(kind: AnswerType | None, element: str | None, *, told: bool = False) -> str | None:
    """The element asked, given the kind of answer expected (the other way round from ``_HELD``): disagreeing with a
    decision (不服, 复议) is answered by the guide's rights and remedies, which no template teaches; how long a
    certificate lasts is its result's; a period the law sets for the person (a deadline, how long a benefit is paid)
    and the amount of a benefit stand among the conditions; none is the office's time limit or fee, whatever words
    the question shares with those ("备案能管多久", "工伤认定多久内要申请", "低保每月领多少钱", "养老保险要交满多少年"),
    nor its place or telephone number.
    In a message ``told`` with a story, papers asked for are the materials where the element classifier, reading the
    long ask, names no element ("如果孩子上一年级回咱们当****小学需要什么手续 孩子是*****街道户口"); a plain question
    is left to it ("单位让开个无犯罪证明" is asked of the overview)."""
    if kind == "remedy":
        return "rights_remedies"
    if kind == "penalty":
        return "basis"  # the law the guide cites sets the penalty
    if element in ("contact", "online") and kind in _QUANTITY:
        # a telephone number states no quantity ("法定婚龄是多少", "股份公司发起人最多可以有多少人" ask a condition), nor
        # whether it may be done online ("网上提交提取申请以后，法定几天之内给结果": the time limit)
        return _QUANTITY[kind]
    if kind in ("eligibility", "yes_no") and element is None:
        return "conditions"
    if kind == "validity" and element in (None, "time_limit"):
        return "result"
    if kind in ("period", "ratio") and element not in ("conditions", "basis", "rights_remedies"):
        # nor does a place, a list of papers or a step state one ("最晚要在几天之内去把……办了", "新成立的单位要在多少
        # 天内去办缴存登记", "清算结束后多少天内要去申请注销登记"); a share (首付最少几成, 按工资百分之几) is a condition too
        return "conditions"
    if kind == "number" and element is None:
        return "conditions"  # "一对夫妻可以生几个孩子": how many the guide allows
    if kind == "benefit" and element in (None, "fee", "time_limit"):
        return "conditions"
    if kind == "age" and element in (None, "fee", "time_limit"):
        return "conditions"  # an age the guide requires is a condition
    if kind == "amount" and element in ("visits", "location", "online", "contact"):
        # what one pays is the fee's, wherever else the ask goes on ("第一次办社保卡要不要钱，在哪里可以办")
        return "fee"
    if kind == "document" and element is None and told:
        return "materials"
    return element


@dataclass(frozen=True)
class Ask:
    """One question of a message."""

    text: str

    @functools.cached_property
    def answer_type(self) -> AnswerType | None:
        """The kind of answer it expects by its wording alone (None: how to do it, in general); reading a message
        into a question refines it with the element asked (:func:`answer_type`, :func:`element_for`)."""
        return answer_type(self.text)


@dataclass(frozen=True)
class Message:
    """A message taken apart.

    ``text`` is the message without salutation, closing formulas and masks (masks become a space); ``story``
    the sentences that ask nothing; ``asks`` the questions in the order written (at least one: a message with
    no recognisable question is one ask, its whole text).
    """

    raw: str
    text: str
    story: str = ""
    asks: list[Ask] = field(default_factory=list)
    masks: int = 0

    @property
    def long(self) -> bool:
        return len(self.raw) > LONG

    @property
    def focus(self) -> str:
        """What the message is about, asks first, then the story, cut at FOCUS_CHARS: the text the subject is
        looked for in."""
        asks = "".join(a.text for a in self.asks)
        return (asks + self.story if self.story and asks != self.story else asks)[:FOCUS_CHARS]


def answer_types(text: str) -> frozenset[AnswerType]:
    """Every kind of answer a question's wording asks for ("临时身份证多少钱，能用多久": an amount and a validity)."""
    kinds: set[AnswerType] = set()
    if _REMEDY.search(text):
        kinds.add("remedy")
    if _PENALTY.search(text):
        kinds.add("penalty")
    if _RECEIVED.search(text) and not _PAID.search(text):
        kinds.add("benefit")
    for kind, pattern in _TYPES:
        if pattern.search(text):
            if kind == "duration" and _VALIDITY.search(text):
                kind = "validity"
            elif kind == "duration" and (
                _WAITING.search(text)
                or _OBLIGED.search(text)
                or (_PERIOD.search(text) and not _PROCESSING.search(_waited_out(text)))
            ):
                kind = "period"
            kinds.add(kind)
    if "yes_no" in kinds and (_EARLY.search(text) or (_LATE.search(text) and not _PROCESSING.search(text))):
        # 能提前去换吗, 还来得及吗: how early, or how late, the law allows ("拿到要多久，来不及能否加急": the office's)
        kinds.add("period")
    if kinds & {"yes_no", "eligibility"} and _AWAY.search(text):
        kinds.add("elsewhere")
    return frozenset(kinds)


def answer_type(text: str, element: str | None = None) -> AnswerType | None:
    """The kind of answer an ask expects, by its wording (None: a general how-to).

    Of several, one that the element asked holds ("审批要多长时间，房东催着要钱" asking the time limit is about a
    duration, not an amount), else the first in the order remedy, phone, benefit, amount, age, duration (validity,
    period), ratio, count (of visits), number, whether it may be done here (elsewhere), place, document,
    eligibility, yes/no.
    """
    kinds = answer_types(text)
    if "penalty" in kinds and "remedy" not in kinds:
        return "penalty"  # 罚多少钱 asks no fee, whatever element the words suggest
    order: list[AnswerType] = ["remedy", "phone", "benefit"]
    for kind, _ in _TYPES:
        if kind == "place":
            order.append("elsewhere")  # whether it may be done here: before the papers its name says (证明)
        if kind != "phone":
            order += ["validity", "period", "duration"] if kind == "duration" else [kind]
    held = _HELD.get(element or "", frozenset()) & kinds
    for kind in order:
        if kind in (held or kinds):
            return kind
    return None


def _strip_closing(sentence: str) -> str:
    """A sentence without its closing formulas; empty when it held nothing else."""
    if not _WORDS.search(_CLOSING.sub("", sentence)):
        return ""
    # a closing formula at the end of a sentence that asks something: keep the question
    return _CLOSING_AT_END.sub("", sentence) or sentence


def _split_clauses(sentence: str, asking: re.Pattern[str]) -> tuple[str, str]:
    """A sentence as (what it tells, what it asks): the clauses before the first that asks something are told
    ("我是外省户籍，孩子明年上一年级，请问需要什么材料" -> the two first clauses, then the ask). A clause asking
    whether, before the one ``asking`` finds, begins the ask ("能不能在手机上办，不用跑大厅？"); so does what one has
    heard, when the ask only asks whether it is true ("听说……还需要办理亲子鉴定，是真的吗？": from 听说, else the
    clause before)."""
    clauses = re.findall(r"[^，,：:]+[，,：:]*", sentence)
    for k, clause in enumerate(clauses):
        if asking.search(clause):
            if k and _TRUE.match(clause.strip()):
                k = next(
                    (j for j in reversed(range(k)) if _HEARD.match(_NUMBERING.sub("", clauses[j].lstrip()))), k - 1
                )
            k = next((j for j in range(k) if _WHETHER.search(clauses[j])), k)
            return "".join(clauses[:k]), "".join(clauses[k:])
    return sentence, ""


# an ask whether what is told is true, and where what one has heard begins
_TRUE = re.compile(
    r"^(?:这|那|这个|那个)?(?:是不是真的|是真的吗|真的吗|是这样吗|是吗|对吗|对不对|属实吗|准确吗)[？?，,。]*$"
)
_HEARD = re.compile(r"^(?:我|之前|以前|最近)?(?:听说|听人说|听别人说|据说|有人说|听朋友说|听邻居说|网上说)")


# what is asked once a first ask is granted ("不知可不可以，如果可以需要办理什么手续"; "能不能就在这边补办？如果能，去哪")
_GRANTED = re.compile(r"(?<=[，,；;])\s*(?=(?:如果|假如|若|如)(?:可以|能|行|符合|允许|同意|不能|不可以|不行|不符合))")


def _then_asked(ask: str) -> tuple[list[str], str]:
    """An ask and what it asks once granted, apart, where the first part asks whether, and what is told after it:
    "不知可不可以，如果可以需要办理什么手续，孩子并没有长期的疾病" asks first whether (the conditions), then the papers,
    and tells the rest; read as one, the papers came first."""
    found = _GRANTED.search(ask)
    if found is None:
        return [ask], ""
    first, then = ask[: found.start()].rstrip("，,；; "), ask[found.start() :]
    if not _WHETHER.search(first):
        return [ask], ""
    clauses = re.findall(r"[^，,；;]+[，,；;]*", then)
    end = next((k for k, clause in enumerate(clauses) if _ASKING.search(clause)), None)
    if end is None:
        return [ask], ""
    return [first, "".join(clauses[: end + 1]).rstrip("，,；; ")], "".join(clauses[end + 1 :])


def read_message(raw: str) -> Message:
    """Take a message apart (any length, any text; never raises)."""
    text = raw or ""
    masks = len(_MASK.findall(text))
    text = _MASK.sub(" ", text)
    text = re.sub(r"[\t\r]+", " ", text)
    previous = None
    while previous != text:  # "尊敬的领导：您好！"
        previous = text
        text = _SALUTATION.sub("", text, count=1)
    pieces: list[tuple[str, bool]] = []  # (sentence, whether it stands in a numbered item)
    for line in text.split("\n"):
        for part in _NUMBER.split(line):
            numbered = bool(_NUMBERING.match(part.lstrip()))
            pieces.extend((m.group(0), numbered) for m in _SENTENCE.finditer(part))
    read = [(s, numbered) for s, numbered in ((_strip_closing(p.strip()), n) for p, n in pieces) if s]
    sentences = [s for s, _ in read]
    cleaned = "".join(sentences) if sentences else text.strip()
    # a question mark or a "请问" marks an ask; where none does, any wording of asking ("几次", "怎么") does. A
    # numbered item is an ask by its wording alone: "1、……需要什么手续；2、……是真的吗？" asks twice
    for asking in (_MARKED, _ASKING):
        asks: list[str] = []
        story_parts: list[str] = []
        for sentence, numbered in read:
            told, ask = _split_clauses(sentence, _ASKING if numbered else asking)
            if told:
                story_parts.append(told)
            if ask:
                asks.append(_NUMBERING.sub("", ask).strip())
        # a lead-in that asks nothing itself ("请问：" before "1、……？2、……？") is no ask
        asks = [a for a in asks if _WORDS.search(_LEAD_IN.sub("", a))] or asks
        if asks:
            break
    granted: list[str] = []
    for ask in asks:
        parts, told = _then_asked(ask)
        granted += parts
        if told:
            story_parts.append(told)
    asks = granted
    story = "".join(story_parts)
    if not asks:
        asks = [cleaned] if cleaned else []
        story = ""
    return Message(
        raw=raw,
        text=cleaned,
        story=story,
        asks=[Ask(a) for a in asks],
        masks=masks,
    )
