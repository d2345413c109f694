"""The jobs subscribers on the consumer edge, driven through FastStream's in-memory broker
and again through the real Kafka, with the bus on in-memory fakes."""

from collections.abc import Sequence

import pytest
from faststream.kafka import KafkaRouter

from jobline_contracts.topics import DISPATCH_EVENTS
from jobline_infra.consuming import Received
from jobline_jobs.config import Settings
from jobline_jobs.domain import events
from jobline_jobs.domain.workflow import Step
from jobline_jobs.entrypoints import consumers
from jobline_jobs.entrypoints.translate import fact_to_command
from jobline_jobs.service_layer.batches import Batch, BatchAborted
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation, UnitOfWork
from jobline_testing.brokers import BrokerMode, BrokerProducer, collect_dead_letters
from jobline_testing.polling import eventually
from jobline_testing.stories import JobStory
from jobs_testing.fakes import World

pytestmark = pytest.mark.unit


class AbortingBatch(Batch):
    """A batch that leaves everything to the one-message path."""

    async def __aexit__(self, *exc: object) -> None:
        pass

    async def prepare(self, items: Sequence[object]) -> None:
        raise BatchAborted("left to the one-message path")

    def unit_of_work(self, causation: Causation) -> UnitOfWork:
        raise NotImplementedError

    async def commit(self) -> None:
        raise NotImplementedError


async def _run(mode: BrokerMode, world: World, raws: list[bytes], *, batch: bool, until):
    spec = await mode.topic(DISPATCH_EVENTS)
    broker, router = mode.broker(), KafkaRouter()
    settings = Settings(consumer_group=f"{spec.name}.jobs")
    consumer = consumers.TopicConsumer(
        spec,
        "jobs.dispatch-facts",
        fact_to_command,
        MessageBus(world.uow),
        BrokerProducer(broker),
        actor="upstream",
    )
    fallbacks: list[BaseException] = []

    def fell_back(error: BaseException, received: Sequence[Received]) -> None:
        fallbacks.append(error)

    if batch:
        consumers.subscribe_batches(router, consumer, settings, AbortingBatch, fell_back)
    else:
        consumers.subscribe(router, consumer, settings)
    letters = collect_dead_letters(router, spec)
    broker.include_router(router)
    async with mode.running(broker) as running:
        await running.publish_batch(*raws, topic=spec.name, partition=0)

        async def settled() -> bool:
            return bool(letters) and await until()

        await eventually(settled, within=30)
    return letters, fallbacks


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
async def test_facts_are_applied_once_and_a_refused_one_is_left_to_the_bus(
    broker_mode: BrokerMode,
    batch: bool,  # noqa: FBT001 - a pytest parameter
):
    world, story = World(tenants={"acme"}), JobStory("acme")
    dispatched = story.envelope(story.dispatched()).to_json()
    too_soon = story.envelope(story.invoiced()).to_json()  # not before the quality check

    async def applied() -> bool:
        return len(world.claimed) == 2 and len(world.rejections) == 1  # the refusal is kept

    letters, fallbacks = await _run(
        broker_mode, world, [dispatched, dispatched, b"junk", too_soon], batch=batch, until=applied
    )
    assert world.jobs[("acme", story.job_id)].step is Step.OPEN_DISPATCH
    assert [type(e) for e in world.published] == [events.JobCreated, events.DispatchAssigned]
    assert [kind for kind, _ in world.rejections] == ["impossible_transition"]
    assert [letter.headers["x-dlq-kind"] for letter in letters] == ["not_json"]
    assert [str(error) for error in fallbacks] == (
        ["left to the one-message path"] if batch else []
    )
