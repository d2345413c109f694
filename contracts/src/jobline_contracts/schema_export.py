"""JSON Schemas of the wire: one whole-envelope schema per topic and message type.

The schemas are generated from the pydantic models (which stay the source of truth) and
committed under ``contracts/schemas/`` so that teams without Python can validate messages
and review contract changes as diffs.
"""

import inspect
import json
from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from jobline_contracts.envelope import EnvelopeHeader, Payload
from jobline_contracts.topics import TOPICS, TopicSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "https://jobline.dev/schemas"
SCHEMAS_DIR = PurePosixPath("contracts/schemas")


class WireJsonSchema(GenerateJsonSchema):
    """Pydantic's generator, with a pattern on decimal strings.

    Money travels as strings; without a pattern a JSON Schema validator would accept any
    string where an amount belongs (``"1.005"``, ``"lots"``).
    """

    def get_decimal_pattern(self, schema: core_schema.DecimalSchema) -> str | None:
        """Describe the digits and decimal places a decimal string may have."""
        return self.build_decimal_pattern(schema)


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The validation-mode JSON Schema of a pydantic model, decimals with patterns."""
    return model.model_json_schema(mode="validation", schema_generator=WireJsonSchema)


def summary(model: type[Payload]) -> str:
    """The first line of a payload model's docstring."""
    return inspect.cleandoc(model.__doc__ or model.__name__).splitlines()[0]


def schema_id(spec: TopicSpec, model: type[Payload]) -> str:
    """The ``$id`` of the envelope schema of ``model`` on ``spec``."""
    return f"{BASE_URI}/{spec.name}/{model.message_type}.v{model.schema_version}.json"


def schema_path(spec: TopicSpec, model: type[Payload]) -> PurePosixPath:
    """Where the envelope schema of ``model`` on ``spec`` lives, relative to the repo root."""
    return SCHEMAS_DIR / spec.name / f"{model.message_type}.v{model.schema_version}.json"


def envelope_schema(spec: TopicSpec, model: type[Payload]) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole envelope carrying ``model`` on ``spec``.

    ``type`` and ``schema_version`` are constants; ``payload`` is the payload model's
    schema inline, with every nested definition hoisted to the top-level ``$defs``.
    Unknown fields stay allowed: consumers ignore them (forward compatibility).
    """
    header = model_schema(EnvelopeHeader)
    payload = model_schema(model)
    defs = payload.pop("$defs", {})
    if "$defs" in header:  # the header is flat today; hoisting both could clash silently
        raise ValueError("the envelope header schema grew $defs; merge them explicitly")
    properties = dict(header["properties"])
    properties["type"] = {**properties["type"], "const": model.message_type}
    properties["schema_version"] = {**properties["schema_version"], "const": model.schema_version}
    properties["payload"] = payload
    schema: dict[str, Any] = {
        "$schema": DIALECT,
        "$id": schema_id(spec, model),
        "title": f"{model.message_type} v{model.schema_version} on {spec.name}",
        "description": summary(model),
        "type": "object",
        "properties": properties,
        "required": [*header["required"], "payload"],
    }
    if defs:
        schema["$defs"] = defs
    return schema


def bundle_key(spec: TopicSpec, model: type[Payload]) -> str:
    """A flat name for an envelope schema (message types repeat across topics)."""
    return f"{spec.name}.{model.message_type}.v{model.schema_version}"


def bundle(ref_base: str) -> dict[str, dict[str, Any]]:
    """Every shared definition and envelope schema in one flat namespace.

    For documents that hold many schemas, such as AsyncAPI components: definitions are
    hoisted and shared, and ``#/$defs/X`` becomes ``<ref_base>X``. ``$id`` and ``$schema``
    are dropped: an ``$id`` would re-base every reference inside its schema.
    """
    shared: dict[str, dict[str, Any]] = {}
    envelopes: dict[str, dict[str, Any]] = {}
    for spec in TOPICS:
        for model in spec.messages:
            schema = _rebase_refs(envelope_schema(spec, model), ref_base)
            for name, definition in schema.pop("$defs", {}).items():
                if shared.setdefault(name, definition) != definition:
                    raise ValueError(f"two different contract models are named {name}")
            del schema["$id"], schema["$schema"]
            envelopes[bundle_key(spec, model)] = schema
    return {**dict(sorted(shared.items())), **envelopes}


def _rebase_refs(schema: dict[str, Any], ref_base: str) -> dict[str, Any]:
    # Done on the JSON text: inside a JSON string a quote is escaped, so '"$ref": "' only
    # ever matches a real reference. The result is a fresh copy, too.
    text = json.dumps(schema).replace('"$ref": "#/$defs/', f'"$ref": "{ref_base}')
    result: dict[str, Any] = json.loads(text)
    return result


def export_all() -> dict[PurePosixPath, dict[str, Any]]:
    """Every envelope schema of every topic, keyed by its path relative to the repo root."""
    return {
        schema_path(spec, model): envelope_schema(spec, model)
        for spec in TOPICS
        for model in spec.messages
    }


def render_json(document: dict[str, Any]) -> str:
    """The committed form of a schema: pretty, sorted keys, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
