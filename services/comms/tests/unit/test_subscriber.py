"""The send-command subscriber on the consumer edge: a command is taken in once and wakes
the dispatcher; an undecodable one is dead-lettered with its kind. Driven through
FastStream's in-memory broker and again through the real Kafka."""

from pathlib import Path

import pytest
from faststream.kafka import KafkaRouter

from jobline_comms.entrypoints.commands import subscribe
from jobline_comms.service_layer.handlers import Services
from jobline_contracts.codec import decode
from jobline_contracts.topics import COMMS_COMMANDS
from jobline_infra.dead_letters import DeadLetters
from jobline_testing.brokers import BrokerMode, BrokerProducer, Letter, collect_dead_letters
from jobline_testing.polling import eventually

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[4] / "contracts/examples/comms.commands.v1"


class Wired:
    """The subscriber on a topic of its own, with its wake-ups and dead letters."""

    def __init__(self, mode: BrokerMode, services: Services) -> None:
        self.mode, self.services = mode, services
        self.wakes = 0
        self.letters: list[Letter] = []

    def wake(self) -> None:
        self.wakes += 1

    async def send(self, *raws: bytes, until) -> None:
        spec = await self.mode.topic(COMMS_COMMANDS)
        broker, router = self.mode.broker(), KafkaRouter()
        subscribe(
            router,
            self.services,
            DeadLetters(BrokerProducer(broker), "comms"),
            self.wake,
            group_id=f"{spec.name}.comms",
            auto_offset_reset="earliest",
            spec=spec,
        )
        self.letters = collect_dead_letters(router, spec)
        broker.include_router(router)
        async with self.mode.running(broker) as running:
            for raw in raws:
                await running.publish(raw, spec.name, key=b"key")
            await eventually(until, within=30)


async def test_a_send_command_is_taken_in_once_and_wakes_the_dispatcher(
    broker_mode: BrokerMode, services, store
):
    raw = (EXAMPLES / "sms.send.v1.json").read_bytes()
    delivery_id = decode(COMMS_COMMANDS, raw).payload.delivery_id
    wired = Wired(broker_mode, services)

    async def taken_in() -> bool:
        return delivery_id in store.deliveries and wired.wakes >= 1

    await wired.send(raw, raw, until=taken_in)  # the second copy is a redelivery
    assert list(store.deliveries) == [delivery_id]
    assert store.deliveries[delivery_id].status == "queued"
    assert wired.letters == []


async def test_an_undecodable_command_is_dead_lettered_with_its_kind(
    broker_mode: BrokerMode, services, store
):
    wired = Wired(broker_mode, services)

    async def dead_lettered() -> bool:
        return len(wired.letters) >= 1

    await wired.send(b"not json", until=dead_lettered)
    [letter] = wired.letters
    assert (letter.value, letter.headers["x-dlq-kind"]) == (b"not json", "not_json")
    assert letter.headers["x-dlq-consumer"] == "comms"
    assert store.deliveries == {}
    assert wired.wakes == 0
