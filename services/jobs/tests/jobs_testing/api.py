"""The jobs HTTP API in-process over a real database (the outbox fills; no Kafka needed)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID, uuid4

import asyncpg
import httpx
from fastapi import FastAPI

from jobline_jobs.adapters.blob_store import BlobStore
from jobline_jobs.adapters.commissions import Commissions
from jobline_jobs.adapters.communications import PostgresCommunicationQueries
from jobline_jobs.adapters.idempotency import IdempotencyKeys
from jobline_jobs.adapters.invoices import PostgresInvoiceQueries
from jobline_jobs.adapters.issuer_cache import IssuerCache
from jobline_jobs.adapters.job_details import JobDetails
from jobline_jobs.adapters.job_page import PostgresJobPage
from jobline_jobs.adapters.job_queries import JobQueries
from jobline_jobs.adapters.oidc import OidcProvider
from jobline_jobs.adapters.postgres_uow import PostgresUnitOfWork
from jobline_jobs.adapters.replies import PostgresReplyQueries
from jobline_jobs.adapters.sealed_secrets import SecretBox
from jobline_jobs.adapters.sign_on import PostgresSignOn
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import TokenStore, issue_token
from jobline_jobs.config import DEVELOPMENT_SECRETS_KEY
from jobline_jobs.domain import commands
from jobline_jobs.entrypoints.http import build_app
from jobline_jobs.service_layer.accounts import Accounts
from jobline_jobs.service_layer.messagebus import MessageBus, Outcome
from jobline_jobs.service_layer.sign_on import SignOn
from jobline_jobs.service_layer.unit_of_work import Causation
from jobline_testing.accounts import accounts
from jobs_testing.builders import dispatch_job


@dataclass
class ApiTestRuntime:
    tokens: TokenStore
    queries: JobQueries
    details: JobDetails
    commissions: Commissions
    idempotency: IdempotencyKeys
    bus: MessageBus
    blobs: BlobStore
    upload_limit: int
    invoices: PostgresInvoiceQueries
    invoice_wait: float
    communications: PostgresCommunicationQueries
    job_page: PostgresJobPage
    accounts: Accounts
    replies: PostgresReplyQueries  # issue 20
    sign_on: SignOn

    async def readiness(self) -> dict[str, str]:
        return {"postgres": "ok"}


UPLOAD_LIMIT = 64 * 1024
INVOICE_WAIT = 1.0


def api_app(pool: asyncpg.Pool, blob_dir: Path, users: Accounts | None = None) -> FastAPI:
    """The API and console on ``pool``; ``users``: the accounts service (the defaults')."""

    @asynccontextmanager
    async def no_lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield  # httpx's ASGI transport does not run lifespans; state is set below

    app = build_app(no_lifespan)
    app.state.runtime = ApiTestRuntime(
        TokenStore(pool, ttl=0),
        JobQueries(pool),
        JobDetails(pool),
        Commissions(pool),
        IdempotencyKeys(pool),
        MessageBus(lambda why: PostgresUnitOfWork(pool, why)),
        BlobStore(blob_dir.as_uri()),
        UPLOAD_LIMIT,
        PostgresInvoiceQueries(pool),
        INVOICE_WAIT,
        PostgresCommunicationQueries(pool),
        PostgresJobPage(pool),
        users := users or accounts(pool),
        PostgresReplyQueries(pool),
        SignOn(
            sign_on_store(pool),
            OidcProvider(IssuerCache(private_ok=True)),
            users,
            plain_loopback=True,
        ),
    )
    return app


def sign_on_store(pool: asyncpg.Pool) -> PostgresSignOn:
    """Single sign-on settings sealed by the development key, as the local stack's."""
    return PostgresSignOn(pool, SecretBox([DEVELOPMENT_SECRETS_KEY]))


def client(app: FastAPI, token: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://jobs.test", headers=headers
    )


class TenantSeeder:
    """A fresh tenant with a token, and jobs moved through the real message bus."""

    def __init__(self, pool: asyncpg.Pool, tenant_id: str, time_zone: str) -> None:
        self.pool, self.tenant_id, self.time_zone = pool, tenant_id, time_zone
        self.bus = MessageBus(lambda why: PostgresUnitOfWork(pool, why))
        self.token = ""
        self.numbers = 0

    async def create(self) -> "TenantSeeder":
        async with self.pool.acquire() as conn:
            await add_tenant(conn, self.tenant_id, "Seeded Plumbing", self.time_zone, "USD")
            self.token = await issue_token(conn, self.tenant_id, "operator")
        return self

    async def send(self, cmd: commands.Command) -> None:
        message = uuid4()
        why = Causation("seed", message, type(cmd).__name__, message, cmd.occurred_at, "test")
        assert await self.bus.handle(cmd, why) is Outcome.APPLIED

    async def job(self, start: datetime, steps: int = 0, **kwargs: object) -> commands.DispatchJob:
        """Dispatch a job scheduled at ``start``, then move it ``steps`` steps on."""
        self.numbers += 1
        cmd = dispatch_job(self.tenant_id, **kwargs)  # type: ignore[arg-type]
        cmd = commands.DispatchJob(
            **{
                **cmd.__dict__,
                "job_number": f"J-{self.numbers:05d}",
                "scheduled_start": start,
                "scheduled_end": start + timedelta(hours=1),
                "occurred_at": start,
            }
        )
        await self.send(cmd)
        t, at, job = self.tenant_id, start, cmd.job_id
        moves: list[commands.Command] = [
            commands.StartJob(t, at, job),
            commands.CompleteWork(t, at, job, start + timedelta(minutes=30)),
            commands.RecordQualityCheck(t, at, job, passed=True),
            commands.IssueInvoice(t, at, job),
        ]
        for move in moves[:steps]:
            await self.send(move)
        return cmd

    async def technician(self, technician_id: UUID, rate: str, card: dict[str, str]) -> None:
        lines = tuple(
            commands.RateCardLine(code, code, Decimal(price)) for code, price in card.items()
        )
        await self.send(
            commands.UpsertTechnician(
                self.tenant_id,
                datetime.now(UTC),
                technician_id,
                "Tech",
                None,
                Decimal(rate),
                lines,
                "USD",
            )
        )

    async def contacts(
        self, job: commands.DispatchJob, *people: tuple[str, str | None, str | None]
    ) -> list[UUID]:
        """Give the job's customer these contacts (name, phone, email); returns their ids."""
        infos = tuple(
            commands.ContactInfo(uuid4(), name, phone, email, None) for name, phone, email in people
        )
        await self.send(
            commands.UpsertCustomer(
                self.tenant_id, datetime.now(UTC), job.customer_id, "Dana Whitfield", infos, None
            )
        )
        return [c.contact_id for c in infos]

    async def defer(self, job_id: UUID) -> None:
        await self.pool.execute(
            "UPDATE jobs.jobs SET deferred_at = now(), deferral_reason = 'test'"
            " WHERE tenant_id = $1 AND job_id = $2",
            self.tenant_id,
            job_id,
        )
