"""The bare pipe: consume one topic, produce every record to another, no database.

``python -m bench.pipe_baseline <bootstrap> <from> <to> <group>`` is the worker, run as a
process of its own like a service: aiokafka batches in (``getmany``), the idempotent
producer (acks=all, lingering) out, offsets committed once a batch is acknowledged. It is
the most a Python process on this machine moves through this broker: the ceiling the jobs
service is measured against.
"""

import asyncio
import sys
import time
import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer

from bench import backbone
from bench.common import say
from bench.cpu import CpuMeter

IN, OUT = backbone.PREFIX + "pipe.in", backbone.PREFIX + "pipe.out"
LAST_FACT = b'"type":"payment.recorded"'


@dataclass(frozen=True)
class PipeRun:
    facts: int
    per_s: float
    publish_s: float
    cpu_us_per_message: float  # the worker's process CPU, from the first publish to the last out


async def _forward(bootstrap: str, source: str, target: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        source,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        max_poll_records=2000,
    )
    producer = backbone.producer(bootstrap)
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=2000)
            sent = [
                await producer.send(target, record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if sent:
                await asyncio.gather(*sent)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


def measure(kafka: str, facts: list[backbone.Fact]) -> PipeRun:
    """Run the worker, publish ``facts`` to its input as fast as the producer takes them,
    and time the first publish to the last record seen on its output."""
    asyncio.run(backbone.ensure_bench_topics(kafka, {IN: 6, OUT: 6}))
    group = f"bench-pipe-{uuid.uuid4().hex[:12]}"
    argv = ["-m", "bench.pipe_baseline", kafka, IN, OUT, group]
    with backbone.child("bench-pipe", argv, {}) as worker:
        return asyncio.run(_measure(kafka, facts, worker.process.pid))


async def _measure(kafka: str, facts: list[backbone.Fact], worker_pid: int) -> PipeRun:
    # Each job's facts keep their partition and order: its payment out means all of it out.
    clock = backbone.TopicClock(kafka, OUT, marker=LAST_FACT, causations=False)
    await clock.start()
    try:
        await backbone.warm_up(kafka, clock, backbone.WarmupFact(IN))
        say(f"pipe: publishing {len(facts):,} facts")
        cpu = CpuMeter([worker_pid])
        cpu.start()
        publish_s, started = await publish_all(kafka, IN, facts)
        last = await clock.wait_marked({f.key for f in facts}, within=600)
        cpu.stop()
    finally:
        await clock.stop()
    per_message = cpu.seconds * 1e6 / len(facts)
    return PipeRun(len(facts), len(facts) / (last - started), publish_s, per_message)


async def publish_all(kafka: str, topic: str, facts: list[backbone.Fact]) -> tuple[float, float]:
    """Publish as fast as the producer takes them; (seconds to publish, start time)."""
    publisher = backbone.producer(kafka)
    await publisher.start()
    try:
        started = time.perf_counter()
        pending = [await publisher.send(topic, f.value, key=f.key) for f in facts]
        await asyncio.gather(*pending)
        return time.perf_counter() - started, started
    finally:
        await publisher.stop()


if __name__ == "__main__":
    asyncio.run(_forward(*sys.argv[1:5]))
