"""What the console's job page reads beyond the job itself (issue 18): its recall links
both ways with their chargebacks, one of its documents' bytes, and its timeline newest
first. A port, implemented in ``adapters/job_page.py`` and wired in ``bootstrap``."""

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any
from uuid import UUID


class JobPageQueries(ABC):
    """Each answer is None when the tenant has no such job."""

    @abstractmethod
    async def recall_links(
        self, tenant_id: str, job_id: UUID, limit: int
    ) -> list[dict[str, Any]] | None:
        """The links where the job is the recall or the original (removed ones too, for
        the record), newest first, each with both job numbers and its chargeback."""

    @abstractmethod
    async def document(
        self, tenant_id: str, job_id: UUID, document_id: UUID
    ) -> dict[str, Any] | None:
        """A document of the job or of its property (blob key, name, type); None if
        neither has it."""

    @abstractmethod
    async def invoice_revisions(
        self, tenant_id: str, job_id: UUID, limit: int
    ) -> list[dict[str, Any]] | None:
        """The issued invoice's revisions, newest first (none before it is issued): each
        with its cause, time, digest and the totals it froze."""

    @abstractmethod
    async def newest_timeline(
        self, tenant_id: str, job_id: UUID, before: tuple[datetime, int] | None, limit: int
    ) -> list[dict[str, Any]] | None:
        """A page of the job's timeline, newest first, before ``(at, entry_id)``."""
