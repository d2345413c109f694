"""What a replay publishes: the original bytes and key, back where they came from."""

import json
import uuid
from datetime import UTC, datetime

import pytest

from jobline_ops.dead_letters import DeadLetter
from jobline_ops.replay import CannotRefresh, replay_of

pytestmark = pytest.mark.unit
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ORIGINAL_ID = str(uuid.uuid4())
HEADERS = (
    (b"x-dlq-kind", b"unknown_job"),
    (b"x-original-topic", b"dispatch.events.v1"),
    (b"x-original-partition", b"4"),
)


def letter(offset: int = 12, key: bytes | None = b"job-1", value: bytes | None = None):
    if value is None:
        value = json.dumps({"message_id": ORIGINAL_ID, "type": "job.started", "x": 1}).encode()
    headers = tuple((k.decode(), v) for k, v in HEADERS)
    return DeadLetter("dispatch.events.v1.dlq", 0, offset, 0, key, value, headers)


def test_a_replay_carries_the_original_bytes_and_key_and_says_what_it_is():
    found = letter()
    replay = replay_of(found, at=AT, by="ops")
    assert (replay.topic, replay.key, replay.value) == ("dispatch.events.v1", b"job-1", found.value)
    assert replay.partition is None  # found by key, as the original was
    assert replay.message_id == ORIGINAL_ID
    assert dict(replay.headers) == {
        "x-replayed-from": b"dispatch.events.v1.dlq:0:12",
        "x-replayed-at": b"2026-01-02T03:04:05+00:00",
        "x-replayed-by": b"ops",
        "x-replayed-dlq-kind": b"unknown_job",
    }


def test_a_keyless_replay_goes_back_to_its_partition():
    assert replay_of(letter(key=None), at=AT, by="ops").partition == 4


def test_a_fresh_id_is_new_but_the_same_on_every_replay_of_one_dead_letter():
    first = replay_of(letter(), at=AT, by="ops", fresh_id=True)
    again = replay_of(letter(), at=AT, by="someone else", fresh_id=True)
    other = replay_of(letter(offset=13), at=AT, by="ops", fresh_id=True)
    assert first.message_id not in {None, ORIGINAL_ID}
    assert first.message_id == again.message_id != other.message_id
    body = json.loads(first.value)
    assert body == {"message_id": first.message_id, "type": "job.started", "x": 1}
    assert dict(first.headers)["x-replayed-original-message-id"] == ORIGINAL_ID.encode()


def test_poison_bytes_cannot_get_a_fresh_id():
    with pytest.raises(CannotRefresh):
        replay_of(letter(value=b"\x00not json"), at=AT, by="ops", fresh_id=True)
