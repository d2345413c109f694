"""What came of a render command: the PDF is stored, or it could not be drawn."""

from dataclasses import dataclass
from uuid import UUID

from jobline_invoicing.domain.content import PdfFacts


@dataclass(frozen=True)
class InvoiceRendered:
    job_id: UUID
    invoice_number: str
    snapshot_sha256: str
    blob_key: str
    pdf: PdfFacts


@dataclass(frozen=True)
class InvoiceRenderFailed:
    job_id: UUID
    invoice_number: str
    snapshot_sha256: str
    reason: str


Event = InvoiceRendered | InvoiceRenderFailed
