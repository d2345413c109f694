"""The generated artefacts: committed copies up to date, schemas and AsyncAPI doc sound."""

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from jobline_contracts import asyncapi, cli
from jobline_contracts.schema_export import export_all
from jobline_contracts.topics import TOPICS, all_topic_names

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = export_all()


def asyncapi_doc() -> dict[str, Any]:
    result: dict[str, Any] = yaml.safe_load(asyncapi.render())
    return result


def resolve(document: dict[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer such as ``#/components/schemas/Address``."""
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in refs(item)]
    return []


def test_committed_schemas_and_asyncapi_match_a_fresh_export():
    # On failure: run `uv run jobline-contracts export` and commit the result.
    assert cli.check(ROOT) == []


def test_check_reports_missing_differing_and_stale_files(tmp_path):
    assert cli.export(tmp_path)
    assert cli.check(tmp_path) == []

    (tmp_path / "docs" / "asyncapi.yaml").write_text("asyncapi: 3.0.0\n")
    first = next(iter(SCHEMAS))
    (tmp_path / first).unlink()
    stale = tmp_path / "contracts" / "schemas" / "gone.v1" / "job.gone.v1.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}\n")

    assert sorted(cli.check(tmp_path)) == [
        f"differs {cli.ASYNCAPI_PATH}",
        f"missing {first}",
        "stale contracts/schemas/gone.v1/job.gone.v1.json",
    ]
    assert cli.main(["export", "--check", "--root", str(tmp_path)]) == 1
    assert cli.main(["export", "--root", str(tmp_path)]) == 0
    assert not stale.parent.exists()
    assert cli.main(["export", "--check", "--root", str(tmp_path)]) == 0


def test_generation_is_deterministic():
    assert asyncapi.render() == asyncapi.render()
    assert cli.generated_files() == cli.generated_files()


@pytest.mark.parametrize("path", sorted(SCHEMAS), ids=str)
def test_every_schema_is_a_valid_draft_2020_12_schema(path):
    schema = SCHEMAS[path]

    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"https://jobline.dev/schemas/{path.parent.name}/{path.name}"
    assert all(resolve(schema, ref) for ref in refs(schema))


def test_schemas_publish_no_unknown_constraint_keywords():
    # pydantic writes a constraint it cannot place as a raw key ("ge": 0) that JSON Schema
    # validators silently ignore; the contract would then promise less than the model.
    text = json.dumps(list(SCHEMAS.values()))
    for keyword in ("ge", "gt", "le", "lt", "max_digits", "decimal_places"):
        assert f'"{keyword}":' not in text


def test_asyncapi_has_a_channel_for_every_topic():
    doc = asyncapi_doc()

    addresses = sorted(channel["address"] for channel in doc["channels"].values())

    assert addresses == sorted(all_topic_names())
    assert doc["asyncapi"] == "3.0.0"
    assert doc["info"]["title"] == "Jobline"


def test_asyncapi_references_all_resolve():
    doc = asyncapi_doc()

    unresolved = [ref for ref in refs(doc) if not resolve(doc, ref)]

    assert unresolved == []


def test_asyncapi_messages_carry_envelope_schemas_and_trace_headers():
    doc = asyncapi_doc()
    for spec in TOPICS:
        channel = doc["channels"][spec.name]
        assert channel["bindings"]["kafka"]["partitions"] == spec.partitions
        assert sorted(channel["messages"]) == sorted(m.message_type for m in spec.messages)
        for model in spec.messages:
            message = resolve(doc, channel["messages"][model.message_type]["$ref"])
            payload = resolve(doc, message["payload"]["$ref"])
            headers = resolve(doc, message["headers"]["$ref"])
            assert message["name"] == model.message_type
            assert message["contentType"] == "application/json"
            assert payload["properties"]["type"]["const"] == model.message_type
            assert {"traceparent", "tracestate"} <= set(headers["properties"])
            if spec.producer == "upstream dispatch systems":  # not Jobline's: trace only
                assert set(headers["properties"]) == {"traceparent", "tracestate"}
                assert "required" not in headers
                continue
            # A Jobline service's messages: CloudEvents, Kafka binding, binary mode.
            service = spec.producer.split()[0]
            assert headers["properties"]["ce_source"]["const"] == f"/jobline/{service}"
            assert re.match(headers["properties"]["ce_type"]["pattern"], "dev.jobline.job.created")
            assert set(headers["required"]) == {
                "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type",
            }  # fmt: skip


def test_asyncapi_dead_letter_channels_carry_the_reason_headers():
    doc = asyncapi_doc()
    for spec in TOPICS:
        if not spec.has_dlq:
            assert spec.dlq not in doc["channels"]
            continue
        (reference,) = doc["channels"][spec.dlq]["messages"].values()
        headers = resolve(doc, resolve(doc, reference["$ref"])["headers"]["$ref"])
        assert set(headers["required"]) == {
            "x-dlq-reason",
            "x-dlq-kind",
            "x-original-topic",
            "x-original-partition",
            "x-original-offset",
            "x-dlq-consumer",
        }
        assert {"x-original-size", "x-original-sha256"} <= set(headers["properties"])


def test_asyncapi_operations_are_seen_from_jobline():
    operations = asyncapi_doc()["operations"].values()
    seen = {(op["action"], op["channel"]["$ref"].removeprefix("#/channels/")) for op in operations}

    assert ("receive", "dispatch.events.v1") in seen
    assert ("send", "dispatch.events.v1") not in seen  # upstream systems publish it
    assert ("send", "jobs.lifecycle.v1") in seen
    assert ("receive", "jobs.lifecycle.v1") not in seen  # other teams consume it
    for internal in ("comms.commands.v1", "invoicing.commands.v1", "comms.events.v1"):
        assert {("send", internal), ("receive", internal)} <= seen
    assert ("send", "comms.commands.v1.dlq") in seen
