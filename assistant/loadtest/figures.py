"""What a load run records (one :class:`Turn` per message, one :class:`NoticeCheck` per 告知单) and the figures made
from it: turns per second, percentiles, errors by kind. Pure: no server, no clock of its own."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

OK = "ok"
DEGRADED = "degraded"  # answered from the guides while the dialogue engine was down: not an error
WECHAT_DEADLINE_S = 4.0  # WeChat waits 5 s for a passive reply; the target is under 4 s


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile by nearest rank (the smallest value with at least ``p`` % of them at or below it);
    NaN for no values.

    >>> percentile(range(1, 101), 95), percentile([3.0], 99), percentile([1, 2, 3, 4], 50)
    (95, 3.0, 2)
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Turn:
    """One message and its answer.

    Attributes:
        channel: ``web`` or ``wechat``.
        user: the simulated person's number.
        at: seconds since the run started, when the message was sent.
        seconds: until the whole answer came back.
        outcome: ``ok``, ``degraded``, or the kind of error (``http_503``, ``no_answer``, ``ReadTimeout`` …).
        late: a WeChat reply not given within the deadline (``success`` instead of a passive reply).
    """

    channel: str
    user: int
    at: float
    seconds: float
    outcome: str
    late: bool = False

    @property
    def error(self) -> bool:
        return self.outcome not in (OK, DEGRADED)


@dataclass
class NoticeCheck:
    """A 告知单 a checklist ended with, fetched and compared with its person's own answers."""

    user: int
    at: float
    link: str
    problems: list[str] = field(default_factory=list)
    unfetched: bool = False  # the page never came (the server was down): an error, not a mixed conversation

    @property
    def mixed(self) -> bool:
        """The page came and is not this person's own."""
        return bool(self.problems) and not self.unfetched


@dataclass
class Record:
    """Everything a run saw, appended to by the simulated people (one event loop: no lock needed)."""

    turns: list[Turn] = field(default_factory=list)
    notices: list[NoticeCheck] = field(default_factory=list)
    samples: list[str] = field(default_factory=list)  # the first few errors and mismatches, as lines to print

    def note(self, line: str, keep: int = 20) -> None:
        if len(self.samples) < keep:
            self.samples.append(line)


@dataclass
class Summary:
    """The figures of a window of a run."""

    seconds: float
    turns: int
    turns_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: dict[str, int]
    degraded: int
    notices_checked: int
    mixed: int
    notices_unfetched: int = 0
    wechat_replies: int = 0
    wechat_p50_ms: float = math.nan
    wechat_p95_ms: float = math.nan
    wechat_max_ms: float = math.nan
    wechat_over_4s: int = 0
    wechat_errors: dict[str, int] = field(default_factory=dict)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def as_dict(self) -> dict:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in asdict(self).items()}


def summarise(turns: Iterable[Turn], notices: Iterable[NoticeCheck], seconds: float) -> Summary:
    """The figures of ``turns`` and ``notices`` over ``seconds`` of wall time: web chat turns (answered ones timed,
    degraded included), errors by kind, notices and mixed ones, and WeChat replies apart."""
    every = list(turns)
    web = [t for t in every if t.channel == "web"]
    wechat = [t for t in every if t.channel == "wechat"]
    timed = [1000 * t.seconds for t in web if not t.error]
    wechat_timed = [1000 * t.seconds for t in wechat if not t.error]
    notices = list(notices)
    return Summary(
        seconds=seconds,
        turns=len(web),
        turns_per_s=len(timed) / seconds if seconds > 0 else math.nan,
        p50_ms=percentile(timed, 50),
        p95_ms=percentile(timed, 95),
        p99_ms=percentile(timed, 99),
        max_ms=max(timed, default=math.nan),
        errors=dict(Counter(t.outcome for t in web if t.error).most_common()),
        degraded=sum(t.outcome == DEGRADED for t in web),
        notices_checked=len(notices),
        mixed=sum(n.mixed for n in notices),
        notices_unfetched=sum(n.unfetched for n in notices),
        wechat_replies=len(wechat),
        wechat_p50_ms=percentile(wechat_timed, 50),
        wechat_p95_ms=percentile(wechat_timed, 95),
        wechat_max_ms=max(wechat_timed, default=math.nan),
        wechat_over_4s=sum(t.late or t.seconds >= WECHAT_DEADLINE_S for t in wechat),
        wechat_errors=dict(Counter(t.outcome for t in wechat if t.error).most_common()),
    )


def window(record: Record, start: float, end: float) -> Summary:
    """The figures of the turns sent in ``[start, end)`` seconds of a run."""
    return summarise(
        [t for t in record.turns if start <= t.at < end],
        [n for n in record.notices if start <= n.at < end],
        end - start,
    )


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}"


def table(summary: Summary, rss: str = "", cpu: str = "") -> str:
    """The end-of-run table, one figure a line."""
    errors = ", ".join(f"{kind} {count}" for kind, count in summary.errors.items()) or "none"
    rows = [
        ("web chat turns", f"{summary.turns} in {summary.seconds:.1f} s"),
        ("turns/s (answered)", f"{summary.turns_per_s:.2f}"),
        (
            "latency p50 / p95 / p99 / max",
            f"{_ms(summary.p50_ms)} / {_ms(summary.p95_ms)} / {_ms(summary.p99_ms)} / {_ms(summary.max_ms)} ms",
        ),
        ("errors", f"{summary.error_count} ({errors})"),
        ("degraded (answered from the guides)", str(summary.degraded)),
        (
            "notices checked / mixed",
            f"{summary.notices_checked} / {summary.mixed}"
            + (f" ({summary.notices_unfetched} could not be fetched)" if summary.notices_unfetched else ""),
        ),
    ]
    if summary.wechat_replies:
        wechat_errors = ", ".join(f"{k} {v}" for k, v in summary.wechat_errors.items()) or "none"
        rows += [
            (
                "WeChat replies p50 / p95 / max",
                f"{summary.wechat_replies}: {_ms(summary.wechat_p50_ms)} / {_ms(summary.wechat_p95_ms)} / "
                f"{_ms(summary.wechat_max_ms)} ms",
            ),
            (f"WeChat replies ≥ {WECHAT_DEADLINE_S:.0f} s (or late)", str(summary.wechat_over_4s)),
            ("WeChat errors", f"{sum(summary.wechat_errors.values())} ({wechat_errors})"),
        ]
    if cpu:
        rows.append(("CPU per turn", cpu))
    if rss:
        rows.append(("RSS of the serve process tree", rss))
    width = max(len(label) for label, _ in rows)
    return "\n".join(f"  {label.ljust(width)}  {value}" for label, value in rows)
