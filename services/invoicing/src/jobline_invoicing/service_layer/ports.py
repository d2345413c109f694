"""What the handlers need from the outside world; adapters implement these."""

import abc
from collections.abc import Mapping

from jobline_invoicing.domain.commands import Causation
from jobline_invoicing.domain.content import PdfFacts
from jobline_invoicing.domain.events import Event
from jobline_invoicing.domain.rendering import DrawOutcome


class InvoiceStore(abc.ABC):
    """Rendered PDFs by content address, and the tenants' branding assets."""

    @abc.abstractmethod
    async def find(self, key: str) -> PdfFacts | None:
        """The facts of the PDF stored at ``key``, or None if it is not (completely) there."""

    @abc.abstractmethod
    async def save(self, key: str, pdf: bytes, facts: PdfFacts) -> None:
        """Store the PDF, then its facts: facts present means the PDF is complete."""

    @abc.abstractmethod
    async def logo(self, key: str) -> bytes | None:
        """The logo stored at ``key``, or None if there is none."""


class Renderer(abc.ABC):
    """Draws PDFs from snapshots (CPU-bound: implementations keep it off the loop)."""

    @property
    @abc.abstractmethod
    def template_version(self) -> str:
        """Names the template in use; part of every content address."""

    @abc.abstractmethod
    async def draw(self, snapshot: Mapping[str, object], logo: bytes | None) -> DrawOutcome:
        """The PDF of ``snapshot``, or why the document cannot be drawn."""


class EventPublisher(abc.ABC):
    """Tells the other services what became of a command."""

    @abc.abstractmethod
    async def publish(self, event: Event, causation: Causation) -> None:
        """Publish ``event``, naming ``causation`` as its cause (returns once durable)."""
