"""Rendered invoices and branding assets in the blob store."""

import logging

from obstore.exceptions import InvalidPathError

from jobline_invoicing.adapters.blob_store import BlobStore
from jobline_invoicing.domain.content import PdfFacts, sidecar_key
from jobline_invoicing.service_layer.ports import InvoiceStore

log = logging.getLogger(__name__)


class BlobInvoiceStore(InvoiceStore):
    """PDFs at their content address, each with a small JSON sidecar of its facts."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    async def find(self, key: str) -> PdfFacts | None:
        # The sidecar is written after the PDF, so its presence means the PDF is whole.
        try:
            raw = await self._blobs.get(sidecar_key(key))
        except FileNotFoundError:
            return None
        try:
            return PdfFacts.from_json(raw)
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable sidecar of %s; rendering it again", key)
            return None

    async def save(self, key: str, pdf: bytes, facts: PdfFacts) -> None:
        await self._blobs.put(key, pdf)
        await self._blobs.put(sidecar_key(key), facts.to_json())

    async def logo(self, key: str) -> bytes | None:
        try:
            return await self._blobs.get(key)
        except (FileNotFoundError, InvalidPathError):
            # A missing logo must not hold invoices back: they print without it.
            log.warning("no logo at %r in the blob store; rendering without it", key)
            return None
