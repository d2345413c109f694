"""The AsyncAPI 3.0.0 description of every Jobline topic, generated from the registry.

Operations are written from the point of view of the Jobline system: a topic a Jobline
service produces is a ``send``, one it consumes a ``receive``. Parties outside Jobline
(upstream dispatch systems, other teams) get no operation of their own.
"""

import re
from importlib.metadata import version
from typing import Any

import yaml

from jobline_contracts import cloud_events
from jobline_contracts.dead_letter_kinds import MEANING
from jobline_contracts.envelope import Payload
from jobline_contracts.schema_export import bundle, bundle_key, summary
from jobline_contracts.topics import TOPICS, TopicSpec, topic_configs, topic_partitions

SERVICES = ("jobs", "comms", "invoicing")
KAFKA_BINDING_VERSION = "0.5.0"
DEAD_LETTER = "deadLetter"
TRACE_HEADERS = "TraceHeaders"
DEAD_LETTER_HEADERS = "DeadLetterHeaders"

_TRACE_HEADER_PROPERTIES = {
    "traceparent": {"type": "string", "description": "W3C Trace Context traceparent"},
    "tracestate": {"type": "string", "description": "W3C Trace Context tracestate"},
}
_DEAD_LETTER_HEADER_PROPERTIES = {
    "x-dlq-reason": {
        "type": "string",
        "maxLength": 540,
        "description": "Why the message was set aside (at most 500 characters of it, then"
        " how long it was)",
    },
    "x-dlq-kind": {
        "type": "string",
        "enum": [str(kind) for kind in MEANING],
        "description": "A short machine-readable kind: "
        + "; ".join(f"{kind} ({meaning})" for kind, meaning in MEANING.items()),
    },
    "x-original-topic": {"type": "string", "description": "Topic the message was read from"},
    "x-original-partition": {"type": "string", "description": "Its partition, in decimal"},
    "x-original-offset": {"type": "string", "description": "Its offset, in decimal"},
    "x-dlq-consumer": {"type": "string", "description": "The consumer group that gave up"},
    "x-original-size": {
        "type": "string",
        "description": "Present when the original did not fit a dead letter: its value's"
        " size in bytes, in decimal; the dead letter carries the first 921,600 bytes",
    },
    "x-original-sha256": {
        "type": "string",
        "description": "Present with x-original-size: sha256 of the original value, in hex",
    },
    "x-original-key-sha256": {
        "type": "string",
        "description": "Present when the original key was over 1,024 bytes (the dead letter"
        " carries its first 1,024): sha256 of the original key, in hex",
    },
}


_WHEN_CUT = frozenset({"x-original-size", "x-original-sha256", "x-original-key-sha256"})
# The CloudEvents Kafka protocol binding, binary mode: every message a Jobline service
# publishes (docs/contracts.md, "CloudEvents headers").
_CLOUD_EVENTS_REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time")


def _cloud_events_headers_key(service: str) -> str:
    return f"CloudEvents{service.title()}Headers"


def _cloud_events_headers(service: str) -> dict[str, Any]:
    prefix = re.escape(cloud_events.TYPE_PREFIX)
    properties = {
        "ce_specversion": {"type": "string", "const": cloud_events.SPECVERSION},
        "ce_id": {"type": "string", "format": "uuid", "description": "The envelope's message_id"},
        "ce_source": {"type": "string", "const": cloud_events.source(service)},
        "ce_type": {
            "type": "string",
            "pattern": f"^{prefix}[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$",
            "description": f"{cloud_events.TYPE_PREFIX} followed by the envelope's type (the"
            " message's name)",
        },
        "ce_time": {
            "type": "string",
            "format": "date-time",
            "description": "The envelope's occurred_at, as the envelope writes it",
        },
        "ce_subject": {
            "type": "string",
            "format": "uuid",
            "description": "The job id, on a message about a job",
        },
        "content-type": {"type": "string", "const": cloud_events.CONTENT_TYPE},
        "message-type": {"type": "string", "description": "The envelope's type"},
    }
    return {
        "type": "object",
        "description": "CloudEvents v1.0, Kafka protocol binding, binary mode: the value is"
        " the event's data (the envelope)",
        "properties": {**properties, **_TRACE_HEADER_PROPERTIES},
        "required": [*_CLOUD_EVENTS_REQUIRED, "content-type"],
    }


def _service(party: str) -> str | None:
    """The Jobline service behind a registry party ("comms workers" -> "comms"), if any."""
    first = party.split(maxsplit=1)[0]
    return first if first in SERVICES else None


def _title(model: type[Payload]) -> str:
    """``JobStatusChanged`` -> ``Job status changed``."""
    words = re.findall(r"[A-Z][a-z0-9]*", model.__name__)
    return " ".join([words[0], *(w.lower() for w in words[1:])])


def _message_key(spec: TopicSpec, model: type[Payload]) -> str:
    # Message types are unique per topic only (job.rescheduled is on two topics).
    return f"{spec.name}.{model.message_type}"


def _component_schemas() -> dict[str, Any]:
    """Header schemas, shared definitions and one envelope schema per message type."""
    headers = {
        TRACE_HEADERS: {"type": "object", "properties": _TRACE_HEADER_PROPERTIES},
        DEAD_LETTER_HEADERS: {
            "type": "object",
            "properties": {**_DEAD_LETTER_HEADER_PROPERTIES, **_TRACE_HEADER_PROPERTIES},
            "required": [h for h in _DEAD_LETTER_HEADER_PROPERTIES if h not in _WHEN_CUT],
        },
        **{_cloud_events_headers_key(s): _cloud_events_headers(s) for s in SERVICES},
    }
    return {**headers, **bundle("#/components/schemas/")}


def _message(spec: TopicSpec, model: type[Payload]) -> dict[str, Any]:
    producer = _service(spec.producer)  # a Jobline service's messages are CloudEvents
    headers = TRACE_HEADERS if producer is None else _cloud_events_headers_key(producer)
    return {
        "name": model.message_type,
        "title": _title(model),
        "summary": summary(model),
        "contentType": "application/json",
        "headers": {"$ref": f"#/components/schemas/{headers}"},
        "payload": {"$ref": f"#/components/schemas/{bundle_key(spec, model)}"},
        "bindings": {"kafka": _key_binding(spec.key)},
    }


def _key_binding(description: str) -> dict[str, Any]:
    return {
        "key": {"type": "string", "description": description},
        "bindingVersion": KAFKA_BINDING_VERSION,
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": DEAD_LETTER,
        "title": "Dead letter",
        "summary": "A message its consumer gave up on, byte for byte, with the reason.",
        "contentType": "application/octet-stream",
        "headers": {"$ref": f"#/components/schemas/{DEAD_LETTER_HEADERS}"},
        "payload": {
            "type": "string",
            "format": "binary",
            "description": "The original record value, unchanged (it may not even be JSON)",
        },
        "bindings": {"kafka": _key_binding("The original record key")},
    }


def _channel(spec: TopicSpec) -> dict[str, Any]:
    consumers = ", ".join(spec.consumers)
    return {
        "address": spec.name,
        "title": spec.name,
        "description": f"{spec.description} Produced by {spec.producer}; consumed by "
        f"{consumers}. Key: {spec.key}.",
        "messages": {
            model.message_type: {"$ref": f"#/components/messages/{_message_key(spec, model)}"}
            for model in spec.messages
        },
        "bindings": {
            "kafka": _topic_binding(spec.name, topic_partitions()[spec.name], topic_configs(spec))
        },
    }


def _dlq_channel(spec: TopicSpec) -> dict[str, Any]:
    return {
        "address": spec.dlq,
        "title": spec.dlq,
        "description": f"Dead letters of {spec.name}: messages that could not be decoded or "
        "handled after retries, with the reason in headers. Keyed by the original key. "
        "The operator CLI lists them and replays them to the original topic.",
        "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
        "bindings": {"kafka": _topic_binding(spec.dlq, topic_partitions()[spec.dlq])},
    }


def _topic_binding(
    name: str, partitions: int, configs: dict[str, str] | None = None
) -> dict[str, Any]:
    binding: dict[str, Any] = {"topic": name, "partitions": partitions}
    if configs:  # the binding lists cleanup.policy as an array of policies
        binding["topicConfiguration"] = {
            key: value.split(",") if key == "cleanup.policy" else value
            for key, value in configs.items()
        }
    return binding | {"bindingVersion": KAFKA_BINDING_VERSION}


def _operation(action: str, who: str, channel: str, messages: list[str]) -> dict[str, Any]:
    return {
        "action": action,
        "summary": f"{who} {action}s {channel}",
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m}"} for m in messages],
        "tags": [{"name": who}],
    }


def _operations() -> dict[str, Any]:
    operations: dict[str, Any] = {}
    for spec in TOPICS:
        types = [m.message_type for m in spec.messages]
        producer = _service(spec.producer)
        consumers = [s for s in map(_service, spec.consumers) if s]
        if producer:
            operations[f"{producer}.send.{spec.name}"] = _operation(
                "send", producer, spec.name, types
            )
        for consumer in consumers:
            operations[f"{consumer}.receive.{spec.name}"] = _operation(
                "receive", consumer, spec.name, types
            )
        if spec.has_dlq:
            for consumer in consumers:
                operations[f"{consumer}.send.{spec.dlq}"] = _operation(
                    "send", consumer, spec.dlq, [DEAD_LETTER]
                )
            operations[f"operator.receive.{spec.dlq}"] = _operation(
                "receive", "operator", spec.dlq, [DEAD_LETTER]
            )
    return operations


def document() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document as plain data (every $ref local and resolvable)."""
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in TOPICS:
        channels[spec.name] = _channel(spec)
        for model in spec.messages:
            messages[_message_key(spec, model)] = _message(spec, model)
    for spec in TOPICS:
        if spec.has_dlq:
            channels[spec.dlq] = _dlq_channel(spec)
    messages[DEAD_LETTER] = _dead_letter_message()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Jobline",
            "version": version("jobline-contracts"),
            "description": "Jobline's Kafka topics. Every message is a JSON envelope "
            "(message_id, type, schema_version, occurred_at, tenant_id, correlation_id, "
            "causation_id, payload); trace context travels in Kafka headers, and every "
            "message a Jobline service publishes carries CloudEvents headers (Kafka binding, "
            "binary mode; ce_type is dev.jobline. + the envelope's type). Consumers "
            "deduplicate on message_id and ignore fields they do not know.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The local single-node broker started by make run",
            }
        },
        "channels": channels,
        "operations": _operations(),
        "components": {"schemas": _component_schemas(), "messages": messages},
    }


class _NoAliasDumper(yaml.SafeDumper):
    """Writes repeated objects out in full: anchors and aliases would hurt readability."""

    def ignore_aliases(self, data: object) -> bool:  # noqa: ARG002 -- the signature is PyYAML's
        return True


def render() -> str:
    """The document as YAML, in a stable order so the committed file diffs cleanly."""
    return yaml.dump(
        document(),
        Dumper=_NoAliasDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
