"""Understanding a free answer to a scenario question: "2", "第二个", "外地", "是的我们已经结婚了".

Pure Python; the dialogue's form validation calls :func:`match_options` with the question being asked.

Example:
    >>> q = Choice("previous_marriage", [Option("no", "双方都没有结过婚", ["没有", "头婚"]),
    ...                                  Option("yes", "有一方或双方以前结过婚", ["二婚", "再婚"])])
    >>> match_options(q, "第二个"), match_options(q, "我们是二婚"), match_options(q, "天气")
    (['yes'], ['yes'], None)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

_NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "2", "第二个", "选3", "2号", "第二项" … as the whole answer (with light filler around)
_ORDINAL = re.compile(
    r"^(?:我)?(?:选|选择|是)?第?([0-9]{1,2}|[一二两三四五六七八九十])(?:个|项|种|条|号|个选项)?(?:吧|吗|啊|呢)?$"
)
_NUMBER_LIST = re.compile(r"^[0-9]{1,2}(?:\s*[,，、和及与跟\s]\s*[0-9]{1,2})+$")
_YES = ("是的", "是", "对", "有", "嗯", "已经", "需要", "要", "好的", "可以", "yes", "y")
_NO = ("不是", "没有", "没", "不", "否", "无", "未", "no", "n")
_YES_LABEL = re.compile(r"^(是|有|对|需要|已)")
_NO_LABEL = re.compile(r"^(否|不是|没有|没|无|不|未)")
_DROP = re.compile(r"[^\w\u3400-\u9fff]+")
_YES_NO_QUESTION = re.compile(r"是否|是不是|有没有|有无|能否|吗[？?。]?$|(?<![什怎多那这])么[？?。]?$")
_ASKS_NEGATION = re.compile(r"(?:是否|能否)(?:未|不|没|非|无)")  # 是否未满十六周岁
_NEGATION_PAIR = re.compile(r"(?:不(?!动产)|没|未|非|无|否).?")  # a negation and what it negates
_BARE_YES = frozenset({"是", "是的", "对", "对的", "嗯", "嗯嗯", "有", "是啊", "对啊", "没错", "yes", "y"})
_BARE_NO = frozenset({"不是", "否", "没有", "没", "不", "不对", "无", "no", "n"})


@dataclass
class Option:
    """An option as the question offers it (the checklist engine's PendingOption has the same fields)."""

    id: str
    label: str
    synonyms: list[str] = field(default_factory=list)


@dataclass
class Choice:
    """A question being asked: its id, its options, whether several may be chosen."""

    id: str
    options: Sequence[Option]
    multiple: bool = False
    text: str = ""  # the question as asked ("是否委托他人代为办理？"): a bare yes or no answers its proposition

    @classmethod
    def of(cls, question: Any) -> Choice:
        """The choice of a scenario question (the catalogue's ``Question`` or the engine's ``PendingQuestion``)."""
        options = [Option(o.id, o.label, list(o.synonyms)) for o in question.options]
        return cls(question.id, options, question.multiple, question.text)


def _clean(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text)).lower()


@functools.lru_cache(maxsize=65536)
def _phrase(text: str) -> str:
    """An option's label or synonym, cleaned once (a story is read against every option of an item)."""
    return _clean(text)


def _number(token: str) -> int:
    return int(token) if token.isdigit() else _NUMERALS[token]


def _by_position(question: Choice, text: str) -> list[str] | None:
    match = _ORDINAL.match(text)
    if match:
        n = _number(match.group(1))
        return [question.options[n - 1].id] if 1 <= n <= len(question.options) else None
    if question.multiple and _NUMBER_LIST.match(text):
        numbers = [int(n) for n in re.findall(r"[0-9]{1,2}", text)]
        if all(1 <= n <= len(question.options) for n in numbers):
            return list(dict.fromkeys(question.options[n - 1].id for n in numbers))
    return None


def _by_words(question: Choice, text: str) -> list[str]:
    """Options whose label or a synonym occurs in the answer (longest phrases win; a phrase inside a longer
    matched phrase does not count twice)."""
    hits: list[tuple[int, str]] = []
    for option in question.options:
        best = 0
        for phrase in [option.label, *option.synonyms]:
            p = _clean(phrase)
            if p and p in text:
                best = max(best, len(p))
        if best:
            hits.append((best, option.id))
    if not hits:
        return []
    if question.multiple:
        return [option_id for _, option_id in hits]
    longest = max(length for length, _ in hits)
    return [option_id for length, option_id in hits if length == longest]


def _by_polarity(question: Choice, text: str) -> list[str]:
    """A yes/no answer to a question whose options read as yes and no ("是" / "否", "有" / "没有" …)."""
    yes = [o.id for o in question.options if _YES_LABEL.match(o.label) and not _NO_LABEL.match(o.label)]
    no = [o.id for o in question.options if _NO_LABEL.match(o.label)]
    if len(yes) != 1 or len(no) != 1:
        return []
    if text.startswith(_NO) or any(w in text for w in ("不是", "没有", "不需要", "没结", "还没")):
        return no
    if text.startswith(_YES):
        return yes
    return []


def _by_proposition(question: Choice, text: str) -> list[str]:
    """A bare yes or no to a yes/no question whose two options are worded as choices ("是否委托他人代为办理？":
    本人办理 / 委托他人代为办理; "孩子的户籍是否在示例市？": 户籍在示例市 / 户籍不在示例市): "是的" chooses the option
    that says what the question asks, "不是" the other.

    The no is the option that opens with a negation (没有改过名), else the one that negates where the question
    does not (户籍不在示例市; not 非货币 in a question about 非货币财产出资); a question that asks a negation
    ("是否未满十六周岁") turns that round. Without a negation, the option sharing clearly more of the question's
    characters is the yes; otherwise nothing is guessed.
    """
    if len(question.options) != 2 or not _YES_NO_QUESTION.search(question.text):
        return []
    answer = _bare(text)
    if answer is None:
        return []
    first, second = question.options
    asked = _YES_NO_QUESTION.sub("", _clean(question.text))
    labels = [_phrase(o.label) for o in question.options]
    opens = [bool(_NO_LABEL.match(label)) for label in labels]
    negates = [any(m.group() not in asked for m in _NEGATION_PAIR.finditer(label)) for label in labels]
    for says_no in (opens, negates):
        if says_no[0] != says_no[1]:
            yes, no = (second, first) if says_no[0] else (first, second)
            if _ASKS_NEGATION.search(question.text):
                yes, no = no, yes
            return [yes.id if answer else no.id]
    shared = [len(set(asked) & set(label)) for label in labels]
    if abs(shared[0] - shared[1]) < 2:
        return []
    yes, no = (first, second) if shared[0] > shared[1] else (second, first)
    return [yes.id if answer else no.id]


def _bare(text: str) -> bool | None:
    """True for a bare yes ("是的", "对"), False for a bare no ("不是", "没有"), None for anything else."""
    if text in _BARE_NO or (text.startswith(("不是", "没有", "不")) and len(text) <= 3):
        return False
    if text in _BARE_YES:
        return True
    return None


def _by_overlap(question: Choice, text: str) -> list[str]:
    """Last resort for a paraphrase: the option sharing clearly the most characters with the answer."""
    scores = []
    for option in question.options:
        chars = set(_clean(option.label + "".join(option.synonyms)))
        scores.append((len(chars & set(text)) / max(len(set(text)), 1), option.id))
    scores.sort(reverse=True)
    if scores and scores[0][0] >= 0.6 and (len(scores) == 1 or scores[0][0] - scores[1][0] >= 0.3):
        return [scores[0][1]]
    return []


def looks_affirmative(answer: str) -> bool:
    """True for a short yes ("好的", "需要", "可以啊"), not for a question that a classifier took for one."""
    text = _clean(answer)
    return bool(text) and len(text) <= 8 and text.startswith(_YES) and not text.startswith(_NO)


_COMMANDS = {
    "go_back": re.compile(r"^(?:返回|退回|回到|上一步|上一个|上一题|上个|刚才|我选错|选错|改一下|改下|撤回)"),
    "start_over": re.compile(r"^(?:重新|重来|从头|再来|全部重)"),
}


def looks_like_command(message: str, command: str) -> bool:
    """True for a short command as people say it ("上一步", "返回", "重新开始"), not for a request that a classifier
    took for one ("我想给娃上户口" is not 上一步)."""
    text = _clean(message)
    pattern = _COMMANDS.get(command)
    return bool(text) and len(text) <= 6 and pattern is not None and bool(pattern.match(text))


_NEGATION = re.compile(r"(?:不|没|没有|未|无|非|不是|不在|还没|尚未)$")  # 不在发证地: not where it was issued
# ... nor where what follows says it cannot be done so ("老人自己去不了": not 本人办理)
_UNABLE = re.compile(r"不了|不成|不便|不方便|不到")  # matched where the phrase ends
_BARE = frozenset(_YES) | frozenset(_NO)


_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMERAL = r"[0-9]{1,3}|[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]"
# an age told ("孩子才5岁", "今年七十二岁", "16周岁了"), not one asked (几岁, 多大岁数) nor masked (**岁); one below
# a bound ("不满16岁") is just under it, and a bound passed or a band ("过了60岁", "60岁以上", "70多岁") tells no age
_AGE_TOLD = re.compile(
    rf"(?P<under>不满|未满|没满|不到|不足)?(?P<past>过了|超过|高于|低于)?"
    rf"(?<![0-9零一二两三四五六七八九十百*])(?P<value>{_NUMERAL})(?P<band>多)?(?:周)?岁(?P<bound>以上|以下|左右)?"
)
# years of contributions told ("失业保险交了七年", "累计缴费满6年", "交了十个月": under a year)
_YEARS_PAID = re.compile(
    rf"(?:交|缴)[^，,。？?！!；;0-9]{{0,6}}?(?P<value>{_NUMERAL})(?P<band>多)?(?P<unit>个月|年)(?P<bound>以上|以下|左右)?"
)


@dataclass(frozen=True)
class _Bounded:
    """A number an option's label bounds (an age: 未满十六周岁, 63周岁以上、未满70周岁; years paid: 满1年不足5年), and
    how a story tells one."""

    below: re.Pattern[str]  # the label's upper bound
    start: re.Pattern[str]  # its lower bound
    told: re.Pattern[str]  # a value told, with the groups value (and under, past, band, bound, unit where they apply)
    # label -> its range, read once: a story is read against every option of an item, for every answer
    _ranges: dict[str, tuple[int, int] | None] = field(default_factory=dict, compare=False, repr=False)

    def range(self, label: str) -> tuple[int, int] | None:
        """The values an option's label admits, as [low, high), or None when it bounds none."""
        if label not in self._ranges:
            below, start = self.below.search(label), self.start.search(label)
            low = _numeral(start.group(1) or start.group(2)) if start else 0
            self._ranges[label] = (low, _numeral(below.group(1)) if below else 200) if below or start else None
        return self._ranges[label]

    def values(self, text: str) -> list[int]:
        """The values a story tells, less bounds passed and bands ("过了60岁", "60岁以上", "70多岁")."""
        values = []
        for found in self.told.finditer(text):
            groups = found.groupdict()
            if groups.get("past") or groups.get("band") or groups.get("bound"):
                continue
            value = _numeral(groups["value"]) - (1 if groups.get("under") else 0)
            values.append(value // 12 if groups.get("unit") == "个月" else value)
        return values

    def options(self, question: Choice, text: str) -> list[str]:
        """The options of a question bounding this number that the values the story tells fall in."""
        ranges = [(option.id, bounds) for option in question.options if (bounds := self.range(option.label))]
        if not ranges:
            return []
        return list(
            dict.fromkeys(oid for value in self.values(text) for oid, (low, high) in ranges if low <= value < high)
        )


_AGE = _Bounded(
    below=re.compile(rf"未满({_NUMERAL})周?岁"),
    start=re.compile(rf"(?:已满|年满)({_NUMERAL})周?岁|({_NUMERAL})周?岁(?:以上|及以上)"),
    told=_AGE_TOLD,
)
_YEARS = _Bounded(
    below=re.compile(rf"(?:不满|不足|未满)({_NUMERAL})年"),
    start=re.compile(rf"(?<![不未])满({_NUMERAL})年|({_NUMERAL})年(?:以上|及以上)"),
    told=_YEARS_PAID,
)


def _numeral(text: str) -> int:
    """A number written in digits or in Chinese up to 99 (16, 十六, 七十二)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS[text]


def story_answers(questions: Sequence[Choice], message: str) -> dict[str, str | list[str]]:
    """What a message's story already answers: question id -> the option it names (a list of the options it
    names for a multiple choice), as the checklist engine takes answers.

    Only an option's label or synonym of two characters or more counts ("退休", "租房", "二婚"; never a bare
    "是" or "没有"), not after a negation ("还没退休") nor before words saying it cannot be done so ("自己去不了"),
    and only where it names one option of a single-choice question. "我已经退休了，想把公积金取出来" answers the
    withdrawal reason with the retirement option. An age told answers a question whose options bound ages ("孩子才
    5岁": 未满十六周岁), unless another age or a word of the story names another option ("我45岁，帮孩子办身份证").
    """
    text = _clean(message)
    found: dict[str, str | list[str]] = {}
    for question in questions:
        chosen: list[str] = list(dict.fromkeys([*_AGE.options(question, text), *_YEARS.options(question, text)]))
        for option in question.options:
            if option.id in chosen:
                continue
            for phrase in (_phrase(p) for p in (option.label, *option.synonyms)):
                if len(phrase) < 2 or phrase in _BARE:
                    continue
                start = text.find(phrase)
                while start >= 0 and (
                    _NEGATION.search(text[max(0, start - 3) : start]) or _UNABLE.match(text, start + len(phrase))
                ):
                    start = text.find(phrase, start + 1)
                if start >= 0:
                    chosen.append(option.id)
                    break
        if chosen and question.multiple:
            found[question.id] = chosen
        elif len(chosen) == 1:
            found[question.id] = chosen[0]
    return found


def match_options(question: Choice, answer: str) -> list[str] | None:
    """The option ids an answer chooses, or None when it does not answer the question.

    Args:
        question: the question being asked.
        answer: the person's message (a button payload's option id also works).
    """
    text = _clean(answer)
    if not text:
        return None
    ids = [o.id for o in question.options]
    if answer.strip() in ids:
        return [answer.strip()]
    if question.text and _bare(text) is not None:  # a bare yes or no answers a yes/no question, or nothing
        return _by_proposition(question, text) or None
    for strategy in (_by_position, _by_words, _by_polarity, _by_overlap):
        chosen = strategy(question, text)
        if chosen and (question.multiple or len(chosen) == 1):
            return chosen
    return None
