"""``python -m assistant.loadtest.faults``: faults under load; prints what each cost, asserts nothing.

Usage::

    python -m assistant.loadtest.faults [--faults engine,services,serve] [--users 10] [--wechat-users 0]
                                        [--warmup 10] [--settle 15] [--duration 0] [--dialogue-workers N]
                                        [--with-services] [--seed 1] [--json FILE]

It starts ``assistant serve`` itself on free ports (data in ``$ASSISTANT_DATA_DIR``, default ``var``; with
``--with-services`` on throwaway PostgreSQL and Redis servers), runs the load of ``python -m assistant.loadtest``
in the background, and after ``--warmup`` seconds, in turn:

1. ``engine``: SIGKILL one dialogue engine (a ``rasa run`` child of serve: the one a probe person's conversation
   is routed to). A probe person has a checklist half answered. Reported: seconds until ``/healthz`` says the
   dialogue is ready again, the load's errors and degraded turns meanwhile (typed questions must still be
   answered, from the guides), the probe's own questions during the outage, and whether its checklist resumes
   where it was once the engine is back.
2. ``services`` (with ``--with-services``): restart PostgreSQL, then Redis, under load; errors during and after.
3. ``serve``: SIGKILL serve itself. Its dialogue engines must die with it (no orphan left holding a port); serve is
   started again on the same ports and data directory, and three probe persons, each with a checklist half
   answered, must get their checklists back under the same sender ids.

Each fault is followed by ``--settle`` seconds of load. The summary gives, per fault: downtime, errors (during the
fault and in the settle time after it), degraded turns, notices checked and mixed, probes resumed and lost. The load
runs at least ``--duration`` seconds in all. The server is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import time
from dataclasses import asdict, dataclass, field

import httpx

from assistant.loadtest.figures import DEGRADED, summarise, window
from assistant.loadtest.messages import RealMessages
from assistant.loadtest.notices import notice_link
from assistant.loadtest.people import Load, WebUser, client_for
from assistant.loadtest.run import (
    PROBES,
    common_options,
    default_wechat_token,
    print_figures,
    report_progress,
    serve_env,
    services,
    write_json,
)
from assistant.loadtest.server import Serve, rasa_engines, rss_line

FAULTS = ("engine", "services", "serve")
BACK_TIMEOUT_S = 300.0  # a dialogue engine or serve not back by then is reported as not back
PROBE_CHECKLIST = "帮我生成结婚登记的材料清单"
PROBE_ANSWER = "2"  # 结婚登记's first question: married before (more questions follow)
PROBE_QUESTION = "结婚登记在哪里办"  # a typed question, answerable from the guides while the engine is down


@dataclass
class Outcome:
    """What one fault cost."""

    fault: str
    downtime_s: float | None = None
    errors_during: dict[str, int] = field(default_factory=dict)
    errors_after: dict[str, int] = field(default_factory=dict)
    degraded: int = 0
    answered_during: int = 0
    notices_checked: int = 0
    mixed: int = 0
    unfetched: int = 0  # notices whose page never came: the server was down
    probes: int = 0
    resumed: int = 0
    lost: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        down = "not back" if self.downtime_s is None else f"{self.downtime_s:.1f} s"

        def kinds(errors: dict[str, int]) -> str:
            return f"{sum(errors.values())}" + (
                f" ({', '.join(f'{k} {v}' for k, v in errors.items())})" if errors else ""
            )

        return (
            f"{self.fault}: downtime {down}; errors during {kinds(self.errors_during)}, after "
            f"{kinds(self.errors_after)}; answered during {self.answered_during} (degraded {self.degraded}); "
            f"notices {self.notices_checked}, mixed {self.mixed}"
            + (f" ({self.unfetched} could not be fetched)" if self.unfetched else "")
            + f"; probes resumed {self.resumed}/{self.probes}, "
            f"lost {self.lost}"
        )


async def healthy(client: httpx.AsyncClient, url: str, path: str = "/healthz") -> bool:
    """True when ``path`` says 200 (for /healthz: the knowledge and every dialogue engine ready)."""
    try:
        return (await client.get(f"{url}{path}", timeout=3.0)).status_code == 200
    except httpx.HTTPError:
        return False


async def wait_until(check, timeout: float = BACK_TIMEOUT_S, every: float = 0.5) -> float | None:
    """Seconds until ``await check()`` is true, or None after ``timeout``."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if await check():
            return time.monotonic() - start
        await asyncio.sleep(every)
    return None


async def probe_in_checklist(load: Load, number: int) -> WebUser | None:
    """A person (outside the load's numbers) with a checklist started and its first question answered, a question
    still pending; None when the dialogue did not get there."""
    person = WebUser(load, number)
    await person.say(PROBE_CHECKLIST)
    if person.asked() is None:
        return None
    await person.say(PROBE_ANSWER)
    return person if person.asked() is not None else None


async def resumed(person: WebUser) -> tuple[bool, str]:
    """Does the probe's checklist go on where it was? Its pending question answered by number must bring the
    next question or the notice (not a fresh conversation)."""
    pending = person.asked()
    messages = await person.say("1")
    if (person.asked() is not None and person.asked() != pending) or notice_link(messages) is not None:
        return True, ""
    texts = " / ".join(m.get("text", "")[:60] for m in messages) or "no reply"
    return False, f"after answering {pending!r}: {texts}"


def fill(outcome: Outcome, load: Load, start: float, back: float, end: float) -> None:
    """The load's figures of the fault (turns answered after ``start``, in flight at it included, and sent before
    ``back``) and of the settle time (sent in ``[back, end)``)."""
    turns = load.record.turns
    during = summarise([t for t in turns if t.at + t.seconds >= start and t.at < back], [], back - start)
    after = summarise([t for t in turns if back <= t.at < end], [], end - back)
    notices = [n for n in load.record.notices if start <= n.at < end]
    outcome.errors_during, outcome.errors_after = during.errors, after.errors
    outcome.degraded = during.degraded + after.degraded
    outcome.answered_during = during.turns - during.error_count
    outcome.notices_checked = len(notices)
    outcome.mixed = sum(n.mixed for n in notices)
    outcome.unfetched = sum(n.unfetched for n in notices)


async def kill_engine(load: Load, server: Serve, settle: float) -> Outcome:
    outcome = Outcome("kill the dialogue engine")
    probe = await probe_in_checklist(load, 10_000)
    engines = rasa_engines(server.pid) if server.pid else {}
    if not engines:
        outcome.notes.append("no dialogue engine found below serve")
        return outcome
    port = next(iter(sorted(engines)))
    if probe is not None and len(engines) > 1:
        try:  # the engine the probe's conversation is routed to
            from api.dialogue import ShardedDialogue

            ring = ShardedDialogue({f"http://127.0.0.1:{p}": p for p in sorted(engines)})
            port = ring.engine(probe.sender_id)
        except Exception as exc:  # an older application: any engine will do
            outcome.notes.append(f"probe's engine not computed ({exc}); killing the first")
    start = load.now()
    os.kill(engines[port], signal.SIGKILL)
    print(f"[{start:5.0f} s] killed the dialogue engine on port {port} (pid {engines[port]})", flush=True)
    client = load.client
    degraded_probe, asked = 0, 0

    async def back() -> bool:
        nonlocal degraded_probe, asked
        if probe is not None:
            asked += 1
            await probe.say(PROBE_QUESTION)  # the probe's checklist question stays pending in the tracker
            degraded_probe += load.record.turns[-1].outcome == DEGRADED
        return await healthy(client, server.url)

    await asyncio.sleep(1.0)  # the kill is seen by the next turn; /healthz may still say ready for a moment
    seconds = await wait_until(back, every=1.0)
    back_at = load.now()
    outcome.downtime_s = None if seconds is None else back_at - start
    print(f"[{back_at:5.0f} s] dialogue {'back' if seconds is not None else 'NOT back'}", flush=True)
    if probe is not None:
        outcome.probes = 1
        ok, why = await resumed(probe)
        outcome.resumed, outcome.lost = int(ok), int(not ok)
        outcome.notes.append(f"the probe asked {asked} questions during the outage, {degraded_probe} answered degraded")
        if why:
            outcome.notes.append(f"probe not resumed: {why}")
    else:
        outcome.notes.append("no probe: the checklist did not start before the kill")
    await asyncio.sleep(settle)
    fill(outcome, load, start, back_at, load.now())
    return outcome


async def restart_service(load: Load, server: Serve, name: str, service, settle: float) -> Outcome:
    outcome = Outcome(f"restart {name}")
    probe = await probe_in_checklist(load, 10_100 if name == "PostgreSQL" else 10_200)
    start = load.now()
    await asyncio.to_thread(service.restart)
    restarted = load.now()
    print(f"[{start:5.0f} s] restarted {name} in {restarted - start:.1f} s", flush=True)
    seconds = await wait_until(lambda: healthy(load.client, server.url), timeout=60)
    back_at = load.now()
    outcome.downtime_s = restarted - start if seconds is not None else None
    if probe is not None:
        outcome.probes = 1
        ok, why = await resumed(probe)
        outcome.resumed, outcome.lost = int(ok), int(not ok)
        if why:
            outcome.notes.append(f"probe not resumed: {why}")
    await asyncio.sleep(settle)
    fill(outcome, load, start, back_at, load.now())
    return outcome


async def kill_serve(load: Load, server: Serve, settle: float) -> Outcome:
    outcome = Outcome("kill -9 serve, start again")
    probes = [p for p in [await probe_in_checklist(load, 10_300 + n) for n in range(3)] if p is not None]
    start = load.now()
    pid = server.pid
    await asyncio.to_thread(server.kill9)
    print(f"[{start:5.0f} s] killed serve (pid {pid}) with SIGKILL", flush=True)
    gone, orphans = await asyncio.to_thread(server.wait_orphans_gone)
    if orphans:
        outcome.notes.append(f"orphan dialogue engines still running {gone:.0f} s after: {orphans} (killed)")
    else:
        outcome.notes.append(f"its dialogue engines gone and ports free {gone:.1f} s after the kill")
    restart = asyncio.create_task(asyncio.to_thread(server.start))
    ready = await wait_until(lambda: healthy(load.client, server.url, "/readyz"), every=0.2)
    ready_at = load.now()
    try:
        await restart
    except SystemExit as exc:
        outcome.notes.append(f"serve did not start again: {exc}")
        fill(outcome, load, start, load.now(), load.now())
        return outcome
    back_at = load.now()
    outcome.downtime_s = back_at - start
    if ready is not None:
        outcome.notes.append(f"/readyz 200 {ready_at - start:.1f} s after the kill (questions answered again)")
    print(f"[{back_at:5.0f} s] serve healthy again (pid {server.pid})", flush=True)
    outcome.probes = len(probes)
    for probe in probes:
        ok, why = await resumed(probe)
        outcome.resumed += ok
        outcome.lost += not ok
        if why:
            outcome.notes.append(f"probe {probe.number} not resumed: {why}")
    await asyncio.sleep(settle)
    fill(outcome, load, start, back_at, load.now())
    return outcome


async def run_faults(args: argparse.Namespace, server: Serve, messages: RealMessages, pg, redis) -> list[Outcome]:
    outcomes: list[Outcome] = []
    async with client_for(PROBES) as client:
        load = Load(
            server.url, client, messages, wechat_token=args.wechat_token or default_wechat_token(), seed=args.seed
        )
        load.start(args.users, args.wechat_users, args.ramp)
        reporter = asyncio.create_task(report_progress(load, lambda: server.pid))
        await asyncio.sleep(args.warmup)
        warm = window(load.record, 0.0, load.now())
        print(f"before the faults: {warm.turns} turns, {warm.error_count} errors, p95 {warm.p95_ms:.0f} ms", flush=True)
        for fault in args.faults:
            before = len(outcomes)
            if fault == "engine":
                outcomes.append(await kill_engine(load, server, args.settle))
            elif fault == "services":
                if pg is None or redis is None:
                    print("services: skipped (needs --with-services)")
                    continue
                outcomes.append(await restart_service(load, server, "PostgreSQL", pg, args.settle))
                outcomes.append(await restart_service(load, server, "Redis", redis, args.settle))
            elif fault == "serve":
                outcomes.append(await kill_serve(load, server, args.settle))
            for outcome in outcomes[before:]:
                print(outcome.line(), flush=True)
        if load.now() < args.duration:
            await asyncio.sleep(args.duration - load.now())
        elapsed = load.now()
        await load.stop()
        await reporter
    print_figures(window(load.record, 0.0, elapsed), load.record, rss_line(server.pid))
    return outcomes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m assistant.loadtest.faults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--faults", default=",".join(FAULTS), help=f"which, in order (default {','.join(FAULTS)})")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of load before the first fault")
    parser.add_argument("--settle", type=float, default=15.0, help="seconds of load after each fault")
    parser.add_argument("--duration", type=float, default=0.0, help="least seconds of load in all")
    common_options(parser)
    parser.set_defaults(users=10)
    args = parser.parse_args(argv)
    args.faults = [f.strip() for f in args.faults.split(",") if f.strip()]
    if unknown := set(args.faults) - set(FAULTS):
        parser.error(f"unknown faults {sorted(unknown)}; choose from {', '.join(FAULTS)}")

    from assistant.bench.dialogue import load_line
    from assistant.serving.settings import data_dir

    print(f"fault script, {time.strftime('%Y-%m-%d %H:%M:%S')}, {load_line()}")
    messages = RealMessages.load(args.xlsx)
    with services(args.with_services) as (pg, redis):
        server = Serve(data_dir().resolve(), args.dialogue_workers, serve_env(args, pg, redis))
        print(f"starting `assistant serve` on {server.url} (data {server.data}) …", flush=True)
        try:
            print(f"serve healthy after {server.start():.1f} s (log {server.log})", flush=True)
            print(f"{args.users} web users, {args.wechat_users} WeChat followers; faults: {', '.join(args.faults)}")
            outcomes = asyncio.run(run_faults(args, server, messages, pg, redis))
        finally:
            print(f"stopped the server in {server.stop():.1f} s")
    print("faults:")
    for outcome in outcomes:
        print(f"  {outcome.line()}")
        for note in outcome.notes:
            print(f"      {note}")
    print(
        "targets (issue 17): questions answered throughout a dialogue-engine kill, the engine back within 30 s, "
        "checklists resumed; nothing lost, no conversation mixed"
    )
    if args.json:
        write_json(args.json, {"faults": [asdict(o) for o in outcomes]})


if __name__ == "__main__":
    main()
