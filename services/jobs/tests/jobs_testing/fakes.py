"""In-memory fakes of the ports, for unit tests of the service layer. They subclass the
real interfaces, so a port change breaks them loudly."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from copy import deepcopy
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.commission_split import SplitRule
from jobline_jobs.domain.commissions import CommissionAccount, CommissionTerms, Entry
from jobline_jobs.domain.communications import Contact, StoredFile
from jobline_jobs.domain.email_engagement import RecordEngagement
from jobline_jobs.domain.invoice_email import InvoiceEmail
from jobline_jobs.domain.issued_invoices import InvoiceTerms, IssuedInvoice
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.sends import Communication, RenderRequest, TrackedDelivery
from jobline_jobs.domain.workflow import Step
from jobline_jobs.service_layer.unit_of_work import (
    Causation,
    CommissionLedger,
    Communications,
    DeliveryStatuses,
    Directory,
    InvoiceRenders,
    Invoices,
    JobRepository,
    KeyClaim,
    SnapshotSources,
    UnitOfWork,
)


class FakeJobs(JobRepository):
    def __init__(
        self,
        store: dict[tuple[str, UUID], Job],
        payments: set[UUID],
        zones: dict[str, str] | None = None,
    ) -> None:
        self.store, self.payments = store, payments
        self.zones = zones if zones is not None else {}
        self._seen: dict[tuple[str, UUID], Job] = {}

    async def get(self, tenant_id: str, job_id: UUID) -> Job | None:
        job = self._seen.get((tenant_id, job_id)) or self.store.get((tenant_id, job_id))
        if job is not None:
            self._seen[(tenant_id, job_id)] = job
        return job

    def add(self, job: Job) -> None:
        self._seen[(job.tenant_id, job.job_id)] = job

    async def has_payment(self, tenant_id: str, payment_id: UUID) -> bool:
        return payment_id in self.payments

    async def originals_of(self, tenant_id: str, job_id: UUID) -> frozenset[UUID]:
        chain, current = set(), self.store.get((tenant_id, job_id))
        while current is not None and current.recall_of is not None:
            chain.add(current.recall_of)
            current = self.store.get((tenant_id, current.recall_of))
        return frozenset(chain)

    def seen(self) -> list[Job]:
        return list(self._seen.values())

    async def due_subjobs(self, at: datetime, limit: int) -> list[Job]:
        """Like PostgreSQL's: scheduled subjobs due in their tenant's zone at ``at``."""
        due = [
            job
            for (tenant, _), job in sorted(self.store.items(), key=lambda kv: str(kv[0]))
            if not job.billable
            and job.step is Step.AWAITING_BILLING
            and job.bill_on is not None
            and job.bill_on <= at.astimezone(ZoneInfo(self.zones.get(tenant, "UTC"))).date()
        ][:limit]
        for job in due:
            self._seen[(job.tenant_id, job.job_id)] = job
        return due


class FakeDirectory(Directory):
    def __init__(self, tenants: set[str]) -> None:
        self.tenants = tenants
        self.customers: dict[UUID, commands.UpsertCustomer | None] = {}
        self.properties: set[UUID] = set()
        self.documents: set[UUID] = set()
        self.technicians: dict[UUID, tuple[Decimal, dict[str, Decimal]]] = {}
        self.policy = Decimal(1)
        self.zones: dict[str, str] = {}  # tenant → time zone (UTC when not set)
        self.default_tax_rates: dict[str, Decimal] = {}  # tenant → its setting (0 if not set)
        self.split_rule = SplitRule.VISITS_COMPLETED

    async def tenant_exists(self, tenant_id: str) -> bool:
        return tenant_id in self.tenants

    async def upsert_customer(self, cmd: commands.UpsertCustomer) -> bool:
        current = self.customers.get(cmd.customer_id)
        if current is not None and current.occurred_at > cmd.occurred_at:
            return False
        self.customers[cmd.customer_id] = cmd
        return True

    async def upsert_property(self, cmd: commands.UpsertProperty) -> bool:
        self.properties.add(cmd.property_id)
        return True

    async def upsert_technician(self, cmd: commands.UpsertTechnician) -> bool:
        return True

    async def ensure_parties(self, cmd: commands.DispatchJob) -> None:
        self.customers.setdefault(cmd.customer_id, None)
        self.properties.add(cmd.property_id)

    async def property_exists(self, tenant_id: str, property_id: UUID) -> bool:
        return property_id in self.properties

    async def technician_terms(
        self, tenant_id: str, technician_id: UUID
    ) -> tuple[Decimal, dict[str, Decimal]]:
        return self.technicians.get(technician_id, (Decimal(0), {}))

    async def chargeback_percent(self, tenant_id: str) -> Decimal:
        return self.policy

    async def technician_exists(self, tenant_id: str, technician_id: UUID) -> bool:
        return technician_id in self.technicians

    async def commission_terms(
        self, tenant_id: str, technician_ids: Iterable[UUID]
    ) -> CommissionTerms:
        rates = {t: self.technicians.get(t, (Decimal(0), {}))[0] for t in technician_ids}
        return CommissionTerms(self.split_rule, rates)

    async def add_document(self, cmd: commands.AddDocument) -> bool:
        if cmd.document_id in self.documents:
            return False
        self.documents.add(cmd.document_id)
        return True

    async def time_zone(self, tenant_id: str) -> str:
        return self.zones.get(tenant_id, "UTC")

    async def default_tax_rate(self, tenant_id: str) -> Decimal:
        return self.default_tax_rates.get(tenant_id, Decimal(0))

    async def invoice_email(self, tenant_id: str) -> InvoiceEmail:
        return InvoiceEmail()

    async def business(self, tenant_id: str) -> events.Business:
        return events.Business(f"Business of {tenant_id}", f"office@{tenant_id}.example")


class FakeCommunications(Communications):
    """The world's contacts, opt-outs and files; communications kept until commit."""

    def __init__(self, world: "World") -> None:
        self.world = world
        self._seen: dict[UUID, Communication] = {}

    async def contacts(
        self, tenant_id: str, customer_id: UUID, property_id: UUID
    ) -> dict[UUID, Contact]:
        return {c.contact_id: c for c in self.world.contacts}

    async def opted_out(self, tenant_id: str) -> frozenset[str]:
        return frozenset(self.world.opted_out)

    async def files(self, tenant_id: str, job_id: UUID) -> dict[tuple[str, UUID], StoredFile]:
        return {(f.file.kind, f.file.file_id): f for f in self.world.files}

    def add(self, communication: Communication) -> None:
        self._seen[communication.communication_id] = communication

    async def due(self, limit: int, at: datetime) -> list[Communication]:
        due = [
            deepcopy(c)
            for c in self.world.communications.values()
            if not c.released and c.canceled_by is None and c.send_at <= at
        ][:limit]
        self._seen.update((c.communication_id, c) for c in due)
        return due

    async def get(self, tenant_id: str, communication_id: UUID) -> Communication | None:
        found = self._seen.get(communication_id) or self.world.communications.get(communication_id)
        if found is None or found.tenant_id != tenant_id:
            return None
        self._seen[communication_id] = found = deepcopy(found)
        return found

    def seen(self) -> list[Communication]:
        return list(self._seen.values())


class FakeInvoices(Invoices):
    def __init__(self, world: "World") -> None:
        self.world = world
        self._seen: dict[tuple[str, UUID], IssuedInvoice] = {}

    async def get(self, tenant_id: str, job_id: UUID) -> IssuedInvoice | None:
        key = (tenant_id, job_id)
        if key not in self._seen and key in self.world.invoices:
            self._seen[key] = deepcopy(self.world.invoices[key])
        return self._seen.get(key)

    async def next_number(self, tenant_id: str) -> int:
        self.world.invoice_seq[tenant_id] = self.world.invoice_seq.get(tenant_id, 0) + 1
        return self.world.invoice_seq[tenant_id]

    async def next_credit_note_number(self, tenant_id: str) -> int:
        self.world.credit_note_seq[tenant_id] = self.world.credit_note_seq.get(tenant_id, 0) + 1
        return self.world.credit_note_seq[tenant_id]

    async def terms(self, tenant_id: str) -> InvoiceTerms:
        return InvoiceTerms(self.world.time_zone, 30, self.world.convention)

    async def sources(self, job: Job) -> SnapshotSources:
        job = {"customer_name": "Dana", "billing_address": None, "property_address_parts": None}
        tenant = {
            "name": "Acme",
            "business_address": None,
            "logo_blob_key": None,
            "primary_colour": "#1f4e79",
            "locale": "en_US",
        }
        return SnapshotSources({**job, "property_address": "1 Main St"}, tenant, [], None)

    async def refundable(self, tenant_id: str, payment_id: UUID) -> tuple[UUID, Decimal] | None:
        return self.world.refundable.get(payment_id)

    def add(self, invoice: IssuedInvoice) -> None:
        self._seen[(invoice.tenant_id, invoice.job_id)] = invoice

    def seen(self) -> list[IssuedInvoice]:
        return list(self._seen.values())


class FakeInvoiceRenders(InvoiceRenders):
    def __init__(self, world: "World") -> None:
        self.world = world
        self._seen: list[RenderRequest] = []

    async def record(self, cmd: commands.RecordInvoiceRender) -> bool:
        if (cmd.tenant_id, cmd.job_id, cmd.snapshot_sha256) not in self.world.renders_requested:
            return False
        self.world.renders_recorded.append(cmd)
        return True

    async def requested(self, tenant_id: str, job_id: UUID, snapshot_sha256: str) -> bool:
        return (tenant_id, job_id, snapshot_sha256) in self.world.renders_requested

    def add(self, request: RenderRequest) -> None:
        self._seen.append(request)

    def seen(self) -> list[RenderRequest]:
        return list(self._seen)


class FakeDeliveryStatuses(DeliveryStatuses):
    def __init__(self, world: "World") -> None:
        self.world = world
        self._seen: dict[UUID, TrackedDelivery] = {}

    async def get(self, tenant_id: str, delivery_id: UUID) -> TrackedDelivery | None:
        stored = self.world.deliveries.get(delivery_id)
        if stored is None or stored.tenant_id != tenant_id:
            return None
        return self._seen.setdefault(delivery_id, deepcopy(stored))

    def seen(self) -> list[TrackedDelivery]:
        return list(self._seen.values())

    async def record_opt_out(self, cmd: commands.RecordOptOut) -> None:
        self.world.opt_outs.append(cmd)

    # issue 19
    async def text_answered_by(self, cmd: commands.RecordOptOut) -> TrackedDelivery | None:
        before = [
            o for o in self.world.opt_outs if (o.tenant_id, o.phone) == (cmd.tenant_id, cmd.phone)
        ]
        if before and (before[-1].opted_out or before[-1].occurred_at > cmd.occurred_at):
            return None
        texted = self.world.texted.get((cmd.tenant_id, cmd.phone))
        return None if texted is None else await self.get(cmd.tenant_id, texted)

    # issue 20
    def record_engagement(self, cmd: RecordEngagement) -> None:
        self.world.engagements.append(cmd)


class FakeCommissions(CommissionLedger):
    """The world's ledgers; an account's new entries reach the world at commit."""

    def __init__(self, world: "World") -> None:
        self.world = world
        self._seen: dict[UUID, CommissionAccount] = {}

    async def account(self, job: Job) -> CommissionAccount:
        if job.job_id not in self._seen:
            account = CommissionAccount(job.tenant_id, job.job_id, job.job_number, job.currency)
            account.entries.extend(self.world.ledger.get(job.job_id, []))
            self._seen[job.job_id] = account
        return self._seen[job.job_id]

    def seen(self) -> list[CommissionAccount]:
        return list(self._seen.values())


class FakeUnitOfWork(UnitOfWork):
    """Commits copy state into the shared ``world``; published events are collected."""

    def __init__(self, world: "World", causation: Causation) -> None:
        self.world, self.causation = world, causation
        self.jobs = FakeJobs(deepcopy(world.jobs), world.payments, world.directory.zones)
        self.directory = world.directory
        self.communications = FakeCommunications(world)
        self.invoices = FakeInvoices(world)
        self.invoice_renders = FakeInvoiceRenders(world)
        self.deliveries = FakeDeliveryStatuses(world)
        self.commissions = FakeCommissions(world)
        self.applied_keys: list[KeyClaim] = []

    async def claim(self) -> bool:
        return self.causation.message_id not in self.world.claimed

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        try:
            yield
        except Exception:
            self.jobs = FakeJobs(
                deepcopy(self.world.jobs), self.world.payments, self.world.directory.zones
            )
            self.communications = FakeCommunications(self.world)
            self.invoices = FakeInvoices(self.world)
            self.invoice_renders = FakeInvoiceRenders(self.world)
            self.deliveries = FakeDeliveryStatuses(self.world)
            self.commissions = FakeCommissions(self.world)
            raise

    async def record_rejection(
        self, tenant_id: str, job_id: UUID | None, kind: str, reason: str
    ) -> None:
        self.world.rejections.append((kind, reason))

    async def mark_applied(self, claim: KeyClaim) -> None:
        self.applied_keys.append(claim)

    async def commit(self) -> None:
        self.world.claimed.add(self.causation.message_id)
        self.world.applied_keys.extend(self.applied_keys)
        for job in self.jobs.seen():
            self.world.published.extend(job.events)
            self.world.payments.update(
                e.payment_id for e in job.events if isinstance(e, events.PaymentRecorded)
            )
            job.events.clear()
            self.world.jobs[(job.tenant_id, job.job_id)] = job
        for communication in self.communications.seen():
            self.world.published.extend(communication.events)
            communication.events.clear()
            self.world.communications[communication.communication_id] = communication
        for delivery in self.deliveries.seen():
            self.world.published.extend(delivery.events)
            delivery.events.clear()
            self.world.deliveries[delivery.delivery_id] = delivery
        for invoice in self.invoices.seen():
            self.world.published.extend(invoice.events)
            invoice.events.clear()
            self.world.invoices[(invoice.tenant_id, invoice.job_id)] = invoice
        for request in self.invoice_renders.seen():
            self.world.published.extend(request.events)
            self.world.renders_requested.add(
                (request.tenant_id, request.job_id, request.snapshot_sha256)
            )
        for account in self.commissions.seen():
            self.world.published.extend(account.events)
            account.events.clear()
            self.world.ledger[account.job_id] = list(account.entries)

    async def rollback(self) -> None:
        pass


class World:
    def __init__(self, tenants: set[str]) -> None:
        self.jobs: dict[tuple[str, UUID], Job] = {}
        self.payments: set[UUID] = set()
        self.directory = FakeDirectory(tenants)
        self.contacts: list[Contact] = []
        self.opted_out: set[str] = set()
        self.files: list[StoredFile] = []
        self.communications: dict[UUID, Communication] = {}
        self.deliveries: dict[UUID, TrackedDelivery] = {}  # as the comms service reports them
        self.invoices: dict[tuple[str, UUID], IssuedInvoice] = {}
        self.invoice_seq: dict[str, int] = {}  # each tenant's counter
        self.refundable: dict[UUID, tuple[UUID, Decimal]] = {}  # payment -> (job, left)
        self.time_zone = "UTC"  # the tenant's, which dates its invoices
        self.convention = "revised_invoice"  # the tenant's invoice revision convention
        self.credit_note_seq: dict[str, int] = {}  # each tenant's credit-note counter
        self.renders_requested: set[tuple[str, UUID, str]] = set()
        self.renders_recorded: list[commands.RecordInvoiceRender] = []
        self.opt_outs: list[commands.RecordOptOut] = []
        self.engagements: list[RecordEngagement] = []  # issue 20, as reported
        # issue 19: the latest text that left for a number, by (tenant, phone)
        self.texted: dict[tuple[str, str], UUID] = {}
        self.now = datetime.now(UTC)  # what the scheduler's ``due`` compares send_at with
        self.claimed: set[UUID] = set()
        self.published: list[object] = []
        self.rejections: list[tuple[str, str]] = []
        self.applied_keys: list[KeyClaim] = []  # Idempotency-Keys marked applied at commit
        self.ledger: dict[UUID, list[Entry]] = {}  # commission entries by job

    def uow(self, causation: Causation) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, causation)
