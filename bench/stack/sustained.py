"""Sustained load for the stack benchmark (`python -m bench.stack --sustained SECONDS`).

Each of N users starts its next run as soon as its last one has ended, on both paths, for a
warm-up and then a measured window. Runs started in the window give the time to first token
and the gaps between text pieces; tokens of runs that ended in the window, over its length,
give the throughput. Unlike the default round (N runs released at one instant), runs here
arrive spread out, as they do from users who do not click together; and on the stack path
each run's engine slot stays empty for the stack's round trip between two runs of a user.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from bench.stack.client import one_user, signed_in
from bench.stack.engine import TextClock
from bench.stack.workload import summary, tool_messages


@dataclass
class Record:
    start: float
    first: float
    end: float
    tokens: int
    gaps: list[float] = field(default_factory=list)


def question(questions: list[str], user: int, k: int, users: int) -> str:
    """The same sequence of questions per user on both paths (the prefix cache sees the same)."""
    return questions[(user + users * k) % len(questions)]


def window_summary(name: str, records: list[Record], t0: float, warmup: float, seconds: float):
    lo, hi = t0 + warmup, t0 + warmup + seconds
    started = [r for r in records if lo <= r.start < hi]
    tokens = sum(r.tokens for r in records if lo <= r.end < hi)
    out = summary(
        name,
        [r.first - r.start for r in started],
        tokens,
        seconds,
        [g for r in started for g in r.gaps],
    )
    out["mode"] = f"sustained {seconds:g} s"
    return out


def engine_loop(engine, users: int, questions, max_new_tokens: int, warmup: float, seconds: float):
    """Closed loop straight on the engine: a run's end submits the same user's next run."""
    from inference import SamplingParams

    params = SamplingParams(temperature=0.0, max_new_tokens=max_new_tokens)
    records: list[Record] = []
    lock, done = threading.Lock(), threading.Event()
    active = [users]
    t0 = time.perf_counter()
    stop = t0 + warmup + seconds

    def start(user: int, k: int) -> None:
        messages = tool_messages(question(questions, user, k, users))
        clock, start_t = TextClock(), time.perf_counter()
        handle = engine.submit(messages=messages, params=params, on_text=clock)

        def wait() -> None:
            result = handle.result()
            end = time.perf_counter()
            rec = Record(start_t, clock.first or end, end, result.completion_tokens, clock.gaps)
            with lock:
                records.append(rec)
            if rec.end < stop:
                start(user, k + 1)
                return
            with lock:
                active[0] -= 1
                if not active[0]:
                    done.set()

        threading.Thread(target=wait, daemon=True).start()

    for user in range(users):
        start(user, 0)
    done.wait()
    return window_summary("engine", records, t0, warmup, seconds)


async def stack_loop(base: str, sessions: list[dict], slug: str, questions, warmup, seconds):
    """Closed loop through the whole stack: each user posts the form, reads the run's event
    stream to its final event, then posts again."""
    users = len(sessions)
    signed = await asyncio.gather(*(signed_in(base, s, slug) for s in sessions))
    records: list[Record] = []
    t0 = time.perf_counter()
    stop = t0 + warmup + seconds

    async def user_loop(user: int) -> None:
        cookie, token = signed[user]
        k = 0
        while True:
            row = await one_user(base, cookie, slug, question(questions, user, k, users), t0, token)
            if row["state"] != "succeeded":
                raise RuntimeError(f"a run did not succeed: {row}")
            start = t0 + row["start"]
            records.append(
                Record(start, start + row["ttft"], t0 + row["end"], row["tokens"], row["gaps"])
            )
            k += 1
            if t0 + row["end"] >= stop:
                return

    await asyncio.gather(*(user_loop(u) for u in range(users)))
    return window_summary("stack", records, t0, warmup, seconds)
