"""Which tenant a blob key belongs to, and which keys of a message are not its tenant's."""

import json
from pathlib import Path

import pytest

from jobline_contracts import codec
from jobline_contracts.tenancy import foreign_blob_keys, foreign_blob_reason, owner_of
from jobline_contracts.topics import TOPICS

pytestmark = pytest.mark.unit
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("key", "owner"),
    [
        ("acme/jobs/1/documents/2", "acme"),
        ("acme/tenant/logo/abc", "acme"),
        ("invoices/acme/abc.pdf", "acme"),  # the rendered invoices' layout
        ("invoices/abc.pdf", None),  # no tenant in it
        ("acme", None),  # a folder name, not a key under one
        ("acme/../globex/logo", None),  # would leave the tenant's folder
        ("acme//x", None),
        ("./acme/x", None),
        ("acme\\..\\globex\\x", None),
        ("/acme/x", None),
    ],
)
def test_a_key_belongs_to_the_tenant_it_is_under(key: str, owner: str | None):
    assert owner_of(key) == owner


@pytest.mark.parametrize(
    ("topic", "example", "field"),
    [
        ("comms.commands.v1", "email.send", ("attachments", 0, "blob_key")),
        ("invoicing.commands.v1", "invoice.render", ("snapshot", "branding", "logo_blob_key")),
        ("invoicing.events.v1", "invoice.rendered", ("blob_key",)),
        ("dispatch.events.v1", "document.added", ("blob_key",)),
    ],
)
def test_every_key_a_message_names_is_checked(topic: str, example: str, field: tuple):
    spec = next(t for t in TOPICS if t.name == topic)
    document = json.loads((EXAMPLES / topic / f"{example}.v1.json").read_text())
    assert foreign_blob_keys(codec.decode(spec, json.dumps(document).encode())) == []
    node = document["payload"]
    for step in field[:-1]:
        node = node[step]
    node[field[-1]] = "globex/secret.pdf"
    envelope = codec.decode(spec, json.dumps(document).encode())
    assert foreign_blob_keys(envelope) == ["globex/secret.pdf"]
    reason = foreign_blob_reason(envelope)
    assert reason is not None
    assert "tenant_id" in reason
    assert "'globex/secret.pdf'" in reason
