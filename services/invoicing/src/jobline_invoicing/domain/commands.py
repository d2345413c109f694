"""What the invoicing service is asked to do (internal vocabulary, no wire types)."""

from collections.abc import Mapping
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class RenderInvoice:
    """Draw the PDF of one invoice snapshot.

    ``snapshot`` is the printed content as plain data (str, Decimal, date, lists and
    dicts), exactly what the template shows; the service never interprets it further.
    """

    tenant_id: str
    job_id: UUID
    invoice_number: str
    snapshot_sha256: str
    snapshot: Mapping[str, object]
    logo_key: str | None = None


@dataclass(frozen=True)
class Causation:
    """The message a command came in: what the resulting event names as its cause."""

    tenant_id: str
    message_id: UUID
    correlation_id: UUID
