"""Every dead-letter kind is documented in the AsyncAPI document, from one registry."""

from typing import Any

import pytest
import yaml

from jobline_contracts import asyncapi
from jobline_contracts.codec import UndecodableMessage, decode
from jobline_contracts.dead_letter_kinds import JOBS_REFUSALS, MEANING, DlqKind
from jobline_contracts.topics import DISPATCH_EVENTS

pytestmark = pytest.mark.unit


def kind_header() -> dict[str, Any]:
    schemas = yaml.safe_load(asyncapi.render())["components"]["schemas"]
    header: dict[str, Any] = schemas[asyncapi.DEAD_LETTER_HEADERS]["properties"]["x-dlq-kind"]
    return header


def test_every_kind_has_a_meaning_and_is_listed_in_the_asyncapi():
    header = kind_header()

    assert list(MEANING) == list(DlqKind)
    assert header["enum"] == [str(kind) for kind in DlqKind]
    for kind, meaning in MEANING.items():
        assert f"{kind} ({meaning})" in header["description"]
    assert DlqKind.UNKNOWN_JOB in header["enum"]  # issue 19: it was missing
    assert set(DlqKind) >= JOBS_REFUSALS


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"{not json", DlqKind.NOT_JSON),
        (b'{"type": "job.started"}', DlqKind.BAD_ENVELOPE),
        (None, DlqKind.UNKNOWN_TYPE),
        (None, DlqKind.UNSUPPORTED_VERSION),
        (None, DlqKind.BAD_PAYLOAD),
    ],
)
def test_the_codec_refuses_with_registered_kinds(raw: bytes | None, kind: DlqKind):
    header = (
        b'{"message_id": "b41c177d-c57b-45c0-87d7-ba104e7978a6", "schema_version": %d,'
        b' "occurred_at": "2025-03-14T09:40:27-04:00", "tenant_id": "acme",'
        b' "correlation_id": "b41c177d-c57b-45c0-87d7-ba104e7978a6", "type": "%s",'
        b' "payload": {}}'
    )
    cases = {
        DlqKind.UNKNOWN_TYPE: header % (1, b"job.teleported"),
        DlqKind.UNSUPPORTED_VERSION: header % (2, b"job.started"),
        DlqKind.BAD_PAYLOAD: header % (1, b"job.started"),
    }

    with pytest.raises(UndecodableMessage) as refused:
        decode(DISPATCH_EVENTS, raw or cases[kind])

    assert refused.value.kind == kind
