"""The port of tenant settings the unit of work hands to handlers."""

from abc import ABC, abstractmethod

from jobline_jobs.domain.tenant_settings import TenantSettings


class TenantSettingsStore(ABC):
    """Each tenant's settings, one row per tenant."""

    @abstractmethod
    async def get(self, tenant_id: str) -> TenantSettings | None:
        """The tenant's settings, locked for this unit of work, or None."""

    @abstractmethod
    async def save(self, settings: TenantSettings) -> None: ...
