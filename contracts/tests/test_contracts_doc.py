"""docs/contracts.md states each topic's partitions and compatibility mode as the code does."""

import re
from pathlib import Path

import pytest

from jobline_contracts.gate import mode_of
from jobline_contracts.topics import TOPICS, topic_partitions

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"
ROW = re.compile(
    r"^\| `(?P<topic>[a-z0-9.]+)` \|.*\| (?P<partitions>\d+) \|.*\| (?P<mode>[A-Z_]+|—) \|$"
)


def documented_topics() -> dict[str, tuple[int, str]]:
    rows = (ROW.match(line) for line in DOC.read_text(encoding="utf-8").splitlines())
    return {m["topic"]: (int(m["partitions"]), m["mode"]) for m in rows if m}


def test_the_topics_table_lists_every_topic_with_its_partitions_and_mode():
    modes = {spec.name: str(mode_of(spec)) for spec in TOPICS}

    expected = {name: (n, modes.get(name, "—")) for name, n in topic_partitions().items()}

    assert documented_topics() == expected


def test_every_topic_is_explained_under_its_own_heading():
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Topic by topic\n", 1)[1].split("\n## ", 1)[0]
    headings = [line for line in section.splitlines() if line.startswith("### ")]

    missing = [spec.name for spec in TOPICS if not any(f"`{spec.name}`" in h for h in headings)]

    assert missing == []
    assert any("`<topic>.dlq`" in h for h in headings)
