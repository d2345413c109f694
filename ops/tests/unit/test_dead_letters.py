"""Reading a dead letter's coordinates, reason and envelope, and choosing dead letters."""

import json
import uuid

import pytest

from jobline_ops.dead_letters import DeadLetter, Selection, dlq_name

pytestmark = pytest.mark.unit
MESSAGE_ID = str(uuid.uuid4())


def letter(offset: int = 7, *, value: bytes | None = None, key: bytes | None = b"job-1", **headers):
    headers = {
        "x-dlq-kind": "unknown_job",
        "x-dlq-reason": "tenant t has no job",
        "x-original-topic": "dispatch.events.v1",
        "x-original-partition": "3",
        "x-original-offset": "41",
    } | headers
    if value is None:
        value = json.dumps({"message_id": MESSAGE_ID, "type": "job.started"}).encode()
    return DeadLetter(
        "dispatch.events.v1.dlq",
        0,
        offset,
        1_764_000_000_000,
        key,
        value,
        tuple((k, v.encode()) for k, v in headers.items()),
    )


def test_a_dead_letter_tells_where_it_came_from_and_why():
    found = letter()
    assert found.ref == "dispatch.events.v1.dlq:0:7"
    assert (found.kind, found.reason) == ("unknown_job", "tenant t has no job")
    assert (found.original_topic, found.original_partition) == ("dispatch.events.v1", 3)
    assert (found.message_type, found.message_id) == ("job.started", MESSAGE_ID)
    assert found.when.isoformat() == "2025-11-24T16:00:00+00:00"


@pytest.mark.parametrize("value", [b"\xff\xfe not json", b"[1, 2]", b'{"type": 3}', b""])
def test_poison_bytes_have_no_type_or_id_and_break_nothing(value):
    found = letter(value=value)
    assert found.message_id is None
    assert found.message_type is None


def test_without_an_origin_header_the_topic_is_the_dlq_without_its_suffix():
    found = DeadLetter("comms.commands.v1.dlq", 0, 1, 0, None, b"x", ())
    assert found.original_topic == "comms.commands.v1"
    assert found.kind == "?"
    assert found.original_partition is None


def test_topic_names_take_either_form():
    assert dlq_name("dispatch.events.v1") == "dispatch.events.v1.dlq"
    assert dlq_name("dispatch.events.v1.dlq") == "dispatch.events.v1.dlq"


def test_a_selection_filters_by_range_kind_and_key():
    letters = [letter(n, key=f"k{n % 2}".encode()) for n in range(10)]
    assert [d.offset for d in letters if Selection(first=3, last=5)(d)] == [3, 4, 5]
    assert [d.offset for d in letters if Selection(key="k1", first=5)(d)] == [5, 7, 9]
    assert not [d for d in letters if Selection(kind="not_json")(d)]
    assert len([d for d in letters if Selection(partition=0)(d)]) == 10
