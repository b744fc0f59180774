"""Is the 告知单 a checklist ended with this person's own? Pure: the conversation's replies in, problems out.

A :class:`Checklist` follows one person's checklist turn by turn: the item named when it started (the
``checklist_start`` reply), every option offered to this person (``/choose_option`` buttons, grouped by the
question that offered them) and the option this person last chose for each question (by number, by the option's
text or by its button). When the conversation gives a notice's link (``/notice/<id>?question=option…``),
:func:`check_notice` compares the link and the fetched page with it: another person's notice names another item,
holds answers never offered to this person, or answers this person's questions otherwise.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from assistant.replies import Replies


def _template(key: str) -> re.Pattern[str]:
    """A reply template of ``assistant/replies.yaml`` as a pattern, its ``{name}`` captured."""
    text = Replies.load().texts[key]
    parts = re.split(r"\{(\w+)\}", text)
    last = len(parts) - 2 if parts[-1] == "" else -1  # a placeholder ending the template takes the rest of the line
    pattern = "".join(
        re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^\n]+)" if i == last else f"(?P<{p}>.+?)"
        for i, p in enumerate(parts)
    )
    return re.compile(pattern)


START = _template("checklist_start")
NO_QUESTIONS = _template("checklist_no_questions")
QUESTION = _template("checklist_question")
PREFILLED = Replies.load().texts["checklist_prefilled"].split("{")[0]
MULTIPLE = Replies.load().texts["checklist_multiple"]
_NOTICE_NAME = re.compile(r'<p class="notice-name">(.*?)</p>', re.S)
_ANSWER = re.compile(r"<li>(.*?)<strong>(.*?)</strong>", re.S)
_ANSWERS = re.compile(r'<ul class="answers">(.*?)</ul>', re.S)
BUNDLE_MARK = "（一件事）"


def option_id(payload: str) -> str | None:
    """The option id of a ``/choose_option{"option": "..."}`` payload, or None."""
    if not payload.startswith("/choose_option"):
        return None
    try:
        return str(json.loads(payload[len("/choose_option") :])["option"])
    except (ValueError, KeyError, TypeError):
        return None


def options_of(messages: list[dict]) -> list[tuple[str, str]]:
    """The checklist options of a reply, in order, as (option id, label)."""
    found = []
    for message in messages:
        for button in message.get("buttons") or []:
            option = option_id(str(button.get("payload", "")))
            if option is not None:
                found.append((option, str(button.get("title", ""))))
    return found


def notice_link(messages: list[dict]) -> str | None:
    """The path and query of the notice a reply links to (``/notice/<id>?…``), or None."""
    for message in messages:
        link = message.get("link") or ""
        path = urlsplit(link)
        if path.path.startswith("/notice/"):
            return path.path + (f"?{path.query}" if path.query else "")
    return None


@dataclass
class Checklist:
    """One person's checklist, as seen from its side of the conversation.

    Attributes:
        name: the item or bundle named when it started (None when the start was not seen).
        prefilled: the start said some answers were taken from the person's story (not offered as options).
        offered: every option id offered to this person.
        labels: each offered option's label, by question (the question's text as asked) and option id.
        chosen: the option this person last chose for each question (by the question's text).
    """

    name: str | None = None
    prefilled: bool = False
    offered: set[str] = field(default_factory=set)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    chosen: dict[str, str] = field(default_factory=dict)
    _question: str | None = None  # the question the last reply asked
    _pending: list[tuple[str, str]] = field(default_factory=list)  # and its options

    @classmethod
    def started_by(cls, messages: list[dict]) -> Checklist | None:
        """A new checklist when the reply starts one (or gives an item's notice without questions)."""
        for message in messages:
            text = message.get("text", "")
            if match := START.search(text) or NO_QUESTIONS.search(text):
                return cls(name=match.group("name"), prefilled=PREFILLED in text)
        return None

    def sent(self, message: str) -> None:
        """This person's message, answering the question of the last reply (by number, text or button)."""
        if not self._pending or self._question is None:
            return
        option = option_id(message)
        text = message.strip()
        if option is None and text.isdigit() and 1 <= int(text) <= len(self._pending):
            option = self._pending[int(text) - 1][0]
        if option is None:
            option = next((o for o, label in self._pending if label == text), None)
        if option is not None and any(o == option for o, _ in self._pending):
            self.chosen[self._question] = option

    def replied(self, messages: list[dict]) -> None:
        """The assistant's reply: the question it asks, and its options, become this person's to answer."""
        self._pending = options_of(messages)
        self._question = None
        for message in messages:
            if match := QUESTION.search(message.get("text", "")):
                self._question = match.group("question").removesuffix(MULTIPLE).strip()
        for option, label in self._pending:
            self.offered.add(option)
            if self._question is not None:
                self.labels[(self._question, option)] = label


def page_name(page: str) -> str | None:
    """The item's name on a notice page (without the bundle mark)."""
    match = _NOTICE_NAME.search(page)
    return html.unescape(match.group(1)).strip().removesuffix(BUNDLE_MARK) if match else None


def page_answers(page: str) -> dict[str, str]:
    """The answers a notice page shows (您的情形), by question."""
    block = _ANSWERS.search(page)
    if block is None:
        return {}
    return {html.unescape(q).strip(): html.unescape(a).strip() for q, a in _ANSWER.findall(block.group(1))}


def _holds(answer: str, label: str) -> bool:
    """Whether a page's answer (the chosen labels joined by 、, which a label may hold itself) holds ``label``."""
    joined = f"、{answer}、"
    return bool(label) and f"、{label}、" in joined


def check_notice(checklist: Checklist | None, link: str, status: int, page: str) -> list[str]:
    """What is wrong with the notice at ``link`` (fetched: ``status``, ``page``) for this person's ``checklist``;
    empty when it is theirs.

    Example:
        >>> mine = Checklist(name="内地居民结婚登记")
        >>> mine.replied([{"text": "（第1题/共1题）以前结过婚吗？",
        ...     "buttons": [{"title": "是", "payload": '/choose_option{"option": "yes"}'},
        ...                 {"title": "否", "payload": '/choose_option{"option": "no"}'}]}])
        >>> mine.sent("2")
        >>> page = '<p class="notice-name">内地居民结婚登记</p><ul class="answers"><li>以前结过婚吗？<strong>否</strong></li></ul>'
        >>> check_notice(mine, "/notice/marriage-registration?q=no", 200, page)
        []
        >>> check_notice(mine, "/notice/marriage-registration?q=yes", 200, page.replace("否", "是"))
        ['to 以前结过婚吗？ the notice answers 是, this person chose 否']
    """
    if status != 200:
        return [f"the notice page answered {status}"]
    problems: list[str] = []
    name = page_name(page)
    if name is None:
        problems.append("the page names no item")
    if checklist is None:
        return problems
    if checklist.name is not None and name is not None and name != checklist.name:
        problems.append(f"the notice is of {name!r}, this person's checklist of {checklist.name!r}")
    if not checklist.prefilled:
        for _question, option in parse_qsl(urlsplit(link).query):
            if option not in checklist.offered:
                problems.append(f"the notice answers {option}, never offered to this person")
    shown = page_answers(page)
    for question, option in checklist.chosen.items():
        if question not in shown:
            continue  # a question that no longer applies (a step back took another branch)
        label = checklist.labels.get((question, option), "")
        if not _holds(shown[question], label):
            problems.append(f"to {question} the notice answers {shown[question]}, this person chose {label}")
    if 'class="notice is-incomplete"' in page:
        problems.append("the notice is marked incomplete")
    return problems
