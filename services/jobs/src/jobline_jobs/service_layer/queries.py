"""The read side the API needs, as ports: answers about tokens, jobs, invoices and
communications, and the Idempotency-Key ledger. Implemented in ``adapters`` and wired in
``bootstrap``; entry points see only these (every change goes through the bus)."""

import uuid
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol
from uuid import UUID

from jobline_jobs.domain.communications import Contact
from jobline_jobs.domain.list_sorts import Order, Sort
from jobline_jobs.domain.templates import MergeValues, Template
from jobline_jobs.domain.views import View
from jobline_jobs.service_layer.unit_of_work import KeyClaim

# An admin may do all an operator may, and change the tenant's settings.
Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: one tenant, one role, and the tenant's time zone. ``token_id`` names
    the API token, or for a signed-in user the console session; a user also has an id and
    a display name (a machine's token has neither)."""

    tenant_id: str
    role: Role
    time_zone: str
    token_id: uuid.UUID
    user_id: uuid.UUID | None = None
    display_name: str | None = None


class Tokens(ABC):
    @abstractmethod
    async def resolve(self, token: str) -> Principal | None:
        """The token's principal; None if it is unknown or revoked."""


@dataclass(frozen=True)
class ListQuery:
    view: View = View.ALL
    text: str | None = None
    customer_id: UUID | None = None
    property_id: UUID | None = None
    technician_id: UUID | None = None
    limit: int = 50
    # The keyset of the last row read: (its sort key, its job number).
    after: tuple[Any, str] | None = None
    sort: Sort = Sort.SCHEDULED
    order: Order = Order.ASC
    scheduled_from: datetime | None = None  # scheduled_start >= this
    scheduled_before: datetime | None = None  # scheduled_start < this
    balance_due: bool | None = None  # True: only jobs owing; False: only jobs not owing


# A list page's row, column by column: the page's JSON is built from each row by position
# (``list_page``), a third faster than by name. Its last column, ``sort_key``, is the row's
# key in the query's sort: (sort_key, job_number) is its keyset.
PAGE_COLUMNS = (
    "job_id", "job_number", "summary", "step", "scheduled_start", "scheduled_end",
    "completed_at", "deferred_at", "deferral_reason", "currency", "total", "amount_paid",
    "scheduled_amount", "billable", "bill_on", "customer_id", "property_id", "technician_id",
    "customer_name", "property_address", "technician_name", "invoice_stands", "sort_key",
)  # fmt: skip


class PageRow(Protocol):
    """A row of a list page: its values in ``PAGE_COLUMNS`` order, or one by its name."""

    def __getitem__(self, column: str, /) -> Any: ...  # noqa: ANN401 - columns of many types

    def __iter__(self) -> Iterator[Any]: ...


class JobLists(ABC):
    @abstractmethod
    async def page(
        self, tenant_id: str, time_zone: str, query: ListQuery
    ) -> tuple[Sequence[PageRow], bool]:
        """One page of the view (rows of ``PAGE_COLUMNS``), and whether more follow."""

    @abstractmethod
    async def counts(self, tenant_id: str, time_zone: str) -> dict[View, int]: ...

    @abstractmethod
    def export(
        self, tenant_id: str, time_zone: str, query: ListQuery
    ) -> AsyncIterator[Sequence[Sequence[str | None]]]:
        """Every job of the query (its view, search, filters and sort; not its limit or
        keyset), each as the values of ``job_export.EXPORT_COLUMNS``, in batches."""

    @abstractmethod
    async def count(self, tenant_id: str, time_zone: str, query: ListQuery, cap: int) -> int:
        """How many jobs the query (its view, search and filters) has, up to ``cap``."""

    @abstractmethod
    async def technicians(self, tenant_id: str) -> list[dict[str, Any]]:
        """The tenant's technicians (technician_id, name), by name."""


class JobDetailsQueries(ABC):
    """One job (None: the tenant has no such job)."""

    @abstractmethod
    async def job(self, tenant_id: str, job_id: UUID) -> dict[str, Any] | None: ...

    @abstractmethod
    async def billing_schedule(self, tenant_id: str, job_id: UUID) -> dict[str, Any] | None: ...

    @abstractmethod
    async def dispatches(self, tenant_id: str, job_id: UUID) -> list[dict[str, Any]] | None: ...

    @abstractmethod
    async def timeline(
        self, tenant_id: str, job_id: UUID, after: tuple[datetime, int] | None, limit: int
    ) -> list[dict[str, Any]] | None:
        """A page of the job's timeline, oldest first, after ``(at, entry_id)``; None if
        the tenant has no such job."""

    @abstractmethod
    async def attachments(self, tenant_id: str, job_id: UUID) -> list[dict[str, Any]] | None: ...

    @abstractmethod
    async def property_exists(self, tenant_id: str, property_id: UUID) -> bool: ...


class CommissionQueries(ABC):
    @abstractmethod
    async def technician_exists(self, tenant_id: str, technician_id: UUID) -> bool: ...

    @abstractmethod
    async def chargeback(self, tenant_id: str, chargeback_id: UUID) -> dict[str, Any] | None: ...

    @abstractmethod
    async def entries(
        self, tenant_id: str, technician_id: UUID, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """The technician's commission ledger entries in [start, end), oldest first."""

    @abstractmethod
    async def statement(
        self, tenant_id: str, start: datetime, end: datetime
    ) -> list[dict[str, Any]]:
        """The payroll statement of [start, end): per technician with entries in it, the
        sum of each kind of entry and the net."""


@dataclass(frozen=True)
class Claim:
    state: Literal["new", "replay", "mismatch", "in_progress", "applied"]
    status_code: int | None = None
    response: Any = None
    held: KeyClaim | None = None  # for "new": the hold the request's effect must present


class IdempotencyLedger(ABC):
    """API requests by Idempotency-Key: claimed, then completed with their answer or
    released (the effect itself marks the key applied, in its own transaction)."""

    @abstractmethod
    async def claim(self, tenant_id: str, key: str, request_hash: bytes) -> Claim: ...

    @abstractmethod
    async def complete(self, claim: KeyClaim, status_code: int, response: object) -> None: ...

    @abstractmethod
    async def release(self, claim: KeyClaim) -> None: ...


@dataclass(frozen=True)
class InvoiceHeader:
    number: str
    issued_on: date
    due_on: date


class InvoiceQueries(ABC):
    @abstractmethod
    async def issued(self, tenant_id: str, job_id: UUID) -> dict[str, Any] | None:
        """The job's issued invoice as its current revision froze it (number, revision,
        status, snapshot and its sha256); None until it is issued. Reading assigns
        nothing."""

    @abstractmethod
    async def tenant(self, tenant_id: str) -> dict[str, Any]:
        """The tenant's settings (``TenantSettings``' fields), its time zone and locale, and
        what its invoices print (``printed_title``, ``printed_tax_id_label``); empty if
        there is no such tenant."""

    @abstractmethod
    async def render(self, tenant_id: str, job_id: UUID, sha: str) -> dict[str, Any] | None:
        """Where the render of this snapshot stands; None if it was never asked for."""


class CommunicationQueries(ABC):
    @abstractmethod
    async def contacts(self, tenant_id: str, job_id: UUID) -> dict[UUID, Contact] | None:
        """The job's customer and property contacts; None if the tenant has no such job."""

    @abstractmethod
    async def opted_out(self, tenant_id: str) -> frozenset[str]: ...

    @abstractmethod
    async def page(
        self,
        tenant_id: str,
        job_id: UUID,
        *,
        limit: int,
        after: tuple[datetime, UUID] | None,
        invoices_only: bool = False,
    ) -> tuple[list[dict[str, Any]], bool] | None:
        """Up to ``limit`` of the job's communications (only its invoice sends if asked)
        after the keyset ``after`` (created_at, id), oldest first, with their deliveries,
        and whether more follow; None if the tenant has no such job."""

    @abstractmethod
    async def one(self, tenant_id: str, communication_id: UUID) -> dict[str, Any] | None: ...

    # issue 18: templates and what a job merges into them

    @abstractmethod
    async def templates(self, tenant_id: str, channel: str | None = None) -> list[Template]:
        """The tenant's message templates (of one channel if asked), by channel and name."""

    @abstractmethod
    async def template(self, tenant_id: str, template_id: UUID) -> Template | None: ...

    @abstractmethod
    async def merge_values(self, tenant_id: str, job_id: UUID) -> MergeValues | None:
        """The job's value of each merge field; None if the tenant has no such job."""
