"""The ports of replies (issue 20): the unit of work's repository, and the reads of a
job's conversation and the tenant's inbox."""

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any
from uuid import UUID

from jobline_jobs.domain.replies import Match, Reply


class Replies(ABC):
    @abstractmethod
    async def latest_to(self, tenant_id: str, channel: str, address: str) -> Match | None:
        """The tenant's latest message on ``channel`` that left for ``address``."""

    @abstractmethod
    def add(self, reply: Reply) -> None:
        """Track a new reply; it is inserted on commit."""

    @abstractmethod
    async def mark_read(self, tenant_id: str, reply_ids: tuple[UUID, ...], by: str) -> int:
        """Mark the tenant's replies read (those already read stay as they were); how
        many of ``reply_ids`` are the tenant's."""


class ReplyQueries(ABC):
    @abstractmethod
    async def conversation(
        self, tenant_id: str, job_id: UUID, *, limit: int, after: tuple[datetime, UUID] | None
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """Up to ``limit`` of the job's messages (with their deliveries) and replies after
        the keyset ``after`` (time, id), oldest first, and whether more follow; None if
        the tenant has no such job."""

    @abstractmethod
    async def inbox(
        self,
        tenant_id: str,
        *,
        limit: int,
        before: tuple[datetime, UUID] | None,
        unread_only: bool,
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` of the tenant's replies before ``before``, newest first."""

    @abstractmethod
    async def unread(self, tenant_id: str) -> int:
        """How many of the tenant's replies nobody has read."""
