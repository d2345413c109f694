"""The port of message templates the unit of work hands to handlers (issue 18)."""

from abc import ABC, abstractmethod
from uuid import UUID

from jobline_jobs.domain.templates import Template


class TemplateStore(ABC):
    """Each tenant's message templates."""

    @abstractmethod
    async def get(self, tenant_id: str, template_id: UUID) -> Template | None:
        """The template, locked for this unit of work, or None."""

    @abstractmethod
    async def named(self, tenant_id: str, name: str, channel: str) -> Template | None:
        """The tenant's template of this name for this channel (names are unique per
        channel, case aside), or None."""

    @abstractmethod
    async def save(self, template: Template) -> None:
        """Insert the template, or replace the one with its id."""

    @abstractmethod
    async def delete(self, tenant_id: str, template_id: UUID) -> None: ...
