"""Latency: a steady rate of facts for a while; for each fact, the time from its publish
to the first lifecycle event it caused (``causation_id``) read back from the topic."""

import asyncio
import time
from dataclasses import dataclass
from statistics import quantiles

from bench import backbone
from bench.common import say

TICK = 0.01  # publish every 10 ms


@dataclass(frozen=True)
class LatencyRun:
    rate: int
    seconds: int
    published: int
    missing: int
    p50: float
    p95: float
    p99: float
    max: float
    # (seconds since the start, latency in ms) of every fact, in publish order
    points: list[tuple[float, float]]


async def measure(
    kafka: str, clock: backbone.TopicClock, facts: list[backbone.Fact], rate: int
) -> LatencyRun:
    publisher = backbone.producer(kafka)
    await publisher.start()
    per_tick = max(1, round(rate * TICK))
    sent_at: list[float] = []
    say(f"latency: {len(facts):,} facts at {rate:,}/s")
    try:
        started = time.perf_counter()
        for tick, at in enumerate(range(0, len(facts), per_tick)):
            delay = started + tick * TICK - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            for fact in facts[at : at + per_tick]:
                sent_at.append(time.perf_counter())
                await publisher.send(backbone.FACTS_TOPIC, fact.value, key=fact.key)
        await publisher.flush()
    finally:
        await publisher.stop()
    missing = await clock.wait_caused({f.message_id for f in facts}, within=120)
    points = [
        (sent - started, (clock.caused[f.message_id] - sent) * 1000)
        for f, sent in zip(facts, sent_at, strict=True)
        if f.message_id in clock.caused
    ]
    cuts = quantiles([ms for _, ms in points], n=100, method="inclusive")
    run = LatencyRun(
        rate,
        round(len(facts) / rate),
        len(facts),
        missing,
        cuts[49],
        cuts[94],
        cuts[98],
        max(ms for _, ms in points),
        points,
    )
    say(f"latency: p50 {run.p50:.0f} ms, p95 {run.p95:.0f} ms, p99 {run.p99:.0f} ms")
    return run
