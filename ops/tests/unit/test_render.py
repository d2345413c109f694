"""The list table, the JSON lines and the detail view of dead letters."""

import json

import pytest

from jobline_ops import render
from jobline_ops.dead_letters import DeadLetter

pytestmark = pytest.mark.unit


def letter(offset: int, value: bytes, reason: str = "bad") -> DeadLetter:
    headers = (("x-dlq-kind", b"not_json"), ("x-dlq-reason", reason.encode()))
    return DeadLetter("a.v1.dlq", 0, offset, 0, b"k", value, headers)


def test_the_table_has_one_aligned_line_per_dead_letter_and_cuts_long_reasons():
    text = render.table("a.v1.dlq", [letter(1, b"x"), letter(22, b"y", "r" * 500)], total=40)
    heading, columns, *rows = text.splitlines()
    assert heading == "a.v1.dlq: 2 shown of 40 matching"
    assert columns.startswith("PART:OFFSET")
    assert [r.split()[0] for r in rows] == ["0:1", "0:22"]
    assert rows[1].endswith("…")
    assert len(rows[1]) < 200


def test_an_empty_topic_is_one_line():
    assert render.table("a.v1.dlq", [], total=0) == "a.v1.dlq: 0 shown of 0 matching"


def test_json_lines_carry_every_header():
    line = json.loads(render.as_json(letter(3, b"x")))
    assert line["offset"] == 3
    assert line["headers"] == {"x-dlq-kind": "not_json", "x-dlq-reason": "bad"}


def test_the_detail_pretty_prints_json_and_shows_other_bytes_safely():
    pretty = render.detail(letter(1, b'{"type":"job.started","payload":{"a":1}}'))
    assert '  "payload": {\n    "a": 1\n  }' in pretty
    assert "x-dlq-reason: bad" in pretty
    raw = render.detail(letter(2, b"\xff\x00binary"))
    assert "b'\\xff\\x00binary'" in raw
