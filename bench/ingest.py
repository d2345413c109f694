"""Ingest: N dispatch facts published as fast as possible, timed from the first publish
to the last job's ``paid`` lifecycle event read back from the lifecycle topic."""

from dataclasses import dataclass

from bench import backbone
from bench.common import say
from bench.pipe_baseline import publish_all


@dataclass(frozen=True)
class IngestRun:
    facts: int
    jobs: int
    per_s: float
    publish_s: float
    seconds: float


async def measure(kafka: str, clock: backbone.TopicClock, facts: list[backbone.Fact]) -> IngestRun:
    jobs = {f.key for f in facts}
    say(f"ingest: publishing {len(facts):,} facts of {len(jobs):,} jobs")
    publish_s, started = await publish_all(kafka, backbone.FACTS_TOPIC, facts)
    say(f"ingest: published in {publish_s:.1f} s; waiting for every job to be paid")
    last = await clock.wait_marked(jobs, within=max(900.0, len(facts) / 200))
    seconds = last - started
    say(f"ingest: {len(facts) / seconds:,.0f} facts/s ({seconds:.1f} s)")
    return IngestRun(len(facts), len(jobs), len(facts) / seconds, publish_s, seconds)
