"""Which tenant a blob key belongs to, and the keys a message names that are not its own.

Kafka is not a trust boundary: a message's ``tenant_id`` is only as good as its producer,
and a blob key names bytes in a store all tenants share. So every consumer checks, before
it fetches, draws, sends or records anything, that each key a message names belongs to the
message's tenant; a message naming another tenant's key is dead-lettered.

Keys are tenant-prefixed: ``<tenant_id>/...`` (documents, logos, attachments). Rendered
invoices live at ``invoices/<tenant_id>/...``, the layout the invoicing service has always
written (PDFs already stored, and the sends naming them, keep it). A key with an empty,
``.`` or ``..`` segment, or a backslash, belongs to nobody: a store could read it as
another tenant's path.
"""

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from jobline_contracts.envelope import Envelope

INVOICES = "invoices"  # the rendered invoices' top folder: the tenant is the next segment
RULE = "blob keys must be under the message's tenant (<tenant_id>/...)"
OWN_BLOB_KEY = "Under the message's tenant (<tenant_id>/...); another tenant's is dead-lettered"
BlobKey = Annotated[
    str, StringConstraints(min_length=1, max_length=500), Field(description=OWN_BLOB_KEY)
]


def owner_of(key: str) -> str | None:
    """The tenant ``key`` belongs to, or None if it is nobody's (see the module)."""
    parts = key.split("/")
    if "\\" in key or any(part in ("", ".", "..") for part in parts):
        return None
    if parts[0] == INVOICES:
        return parts[1] if len(parts) > 2 else None
    return parts[0] if len(parts) > 1 else None


def foreign_blob_keys(envelope: Envelope[Any]) -> list[str]:
    """The blob keys ``envelope``'s payload names that are not its tenant's."""
    return [key for key in envelope.payload.blob_keys() if owner_of(key) != envelope.tenant_id]


def foreign_blob_reason(envelope: Envelope[Any]) -> str | None:
    """Why ``envelope`` must be dead-lettered for the keys it names, or None if it need not.
    The keys are quoted cut short: a stranger wrote them."""
    foreign = foreign_blob_keys(envelope)
    if not foreign:
        return None
    quoted = ", ".join(repr(key[:120]) for key in foreign[:3])
    return f"{RULE}: tenant {envelope.tenant_id!r} named {quoted}"
