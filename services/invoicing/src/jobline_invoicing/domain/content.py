"""Content addresses of rendered invoices, and the facts kept beside each PDF.

A PDF is named by what it was drawn from: the snapshot's sha256 and the template's
version. The same snapshot through the same template is the same document, so a
redelivered or repeated command finds it stored and draws nothing.
"""

import hashlib
import json
from dataclasses import asdict, dataclass

# Bump on any change to the template, its CSS or the formatting that alters the PDF:
# every snapshot then renders anew under a new address.
TEMPLATE_VERSION = "invoice-v2"  # v2: title, seller, payments, service date, technician


def invoice_key(tenant_id: str, snapshot_sha256: str, template_version: str) -> str:
    """``invoices/<tenant>/<sha256(snapshot_sha256 + ":" + template_version)>.pdf``."""
    address = hashlib.sha256(f"{snapshot_sha256}:{template_version}".encode()).hexdigest()
    return f"invoices/{tenant_id}/{address}.pdf"


def sidecar_key(pdf_key: str) -> str:
    """Where the facts of the PDF at ``pdf_key`` are kept (written after the PDF)."""
    return f"{pdf_key}.json"


@dataclass(frozen=True)
class PdfFacts:
    """What consumers are told about a stored PDF, without reading it again."""

    sha256: str
    pages: int
    size_bytes: int

    @classmethod
    def of(cls, pdf: bytes, pages: int) -> "PdfFacts":
        return cls(hashlib.sha256(pdf).hexdigest(), pages, len(pdf))

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> "PdfFacts":
        data = json.loads(raw)
        return cls(str(data["sha256"]), int(data["pages"]), int(data["size_bytes"]))
