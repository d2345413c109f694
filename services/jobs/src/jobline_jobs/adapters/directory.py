"""Tenants, customers, properties, technicians and documents in PostgreSQL."""

import json
from dataclasses import asdict
from decimal import Decimal
from uuid import UUID

from jobline_infra.postgres import Connection
from jobline_jobs.adapters import rows
from jobline_jobs.adapters.commission_terms import CommissionTermsLookups
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.domain import commands
from jobline_jobs.domain.commission_split import SplitRule
from jobline_jobs.domain.errors import UnknownTenant
from jobline_jobs.domain.events import Business
from jobline_jobs.domain.invoice_email import InvoiceEmail
from jobline_jobs.service_layer.unit_of_work import Directory

# An upsert applies unless a newer one (by occurred_at) was applied already, so
# redelivered or reordered upserts never roll an entity back.
_NEWER = "WHERE {t}.version_at IS NULL OR {t}.version_at <= EXCLUDED.version_at"


class PostgresDirectory(CommissionTermsLookups, Directory):
    """The directory of one transaction: tenants are looked up once; placeholders for a
    job's parties go to the transaction's :class:`RowWriter`."""

    def __init__(self, conn: Connection, writer: RowWriter) -> None:
        self._conn, self._writer = conn, writer
        self._tenants: dict[str, bool] = {}
        # Commission terms read in this transaction: split rules by tenant, commission
        # rates by (tenant, technician) (0 for a technician without a row or a rate).
        self._split_rules: dict[str, SplitRule] = {}
        self._default_tax_rates: dict[str, Decimal] = {}
        self._rates: dict[tuple[str, UUID], Decimal] = {}
        # Upserts applied in this transaction: parties read before are stale (snapshots).
        self.upserts = 0
        self._upserted: list[tuple[str, str, UUID]] = []  # (tenant, kind, id): job states

    async def look_up_tenants(self, tenant_ids: set[str]) -> None:
        """Whether each tenant exists (and its commission split rule), in one statement."""
        found = await self._conn.fetch(
            "SELECT tenant_id, commission_split_rule, default_tax_rate FROM jobs.tenants"
            " WHERE tenant_id = ANY($1::text[])",
            list(tenant_ids),
        )
        self._tenants.update(dict.fromkeys(tenant_ids, False))
        self._tenants.update((r["tenant_id"], True) for r in found)
        self._split_rules.update(
            (r["tenant_id"], SplitRule(r["commission_split_rule"])) for r in found
        )
        self._default_tax_rates.update((r["tenant_id"], r["default_tax_rate"]) for r in found)

    async def tenant_exists(self, tenant_id: str) -> bool:
        if tenant_id not in self._tenants:
            await self.look_up_tenants({tenant_id})
        return self._tenants[tenant_id]

    async def upsert_customer(self, cmd: commands.UpsertCustomer) -> bool:
        applied = await self._conn.fetchval(
            f"""INSERT INTO jobs.customers (tenant_id, customer_id, name, billing_address,
                    version_at)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (tenant_id, customer_id) DO UPDATE
                   SET name = EXCLUDED.name, billing_address = EXCLUDED.billing_address,
                       version_at = EXCLUDED.version_at
                {_NEWER.format(t="customers")}
                RETURNING true""",  # noqa: S608 - the format only inserts a table name
            cmd.tenant_id,
            cmd.customer_id,
            cmd.name,
            _json(cmd.billing_address),
            cmd.occurred_at,
        )
        if applied:
            self.upserts += 1
            self._upserted.append((cmd.tenant_id, "customer", cmd.customer_id))
            await self._replace_contacts(cmd.tenant_id, "customer", cmd.customer_id, cmd.contacts)
            await self._refresh_search_text(cmd.tenant_id, "customer_id", cmd.customer_id)
        return bool(applied)

    async def upsert_property(self, cmd: commands.UpsertProperty) -> bool:
        await self._ensure_customer(cmd.tenant_id, cmd.customer_id)
        applied = await self._conn.fetchval(
            f"""INSERT INTO jobs.properties (tenant_id, property_id, customer_id, address,
                    address_text, version_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (tenant_id, property_id) DO UPDATE
                   SET customer_id = EXCLUDED.customer_id, address = EXCLUDED.address,
                       address_text = EXCLUDED.address_text, version_at = EXCLUDED.version_at
                {_NEWER.format(t="properties")}
                RETURNING true""",  # noqa: S608 - the format only inserts a table name
            cmd.tenant_id,
            cmd.property_id,
            cmd.customer_id,
            _json(cmd.address),
            cmd.address.one_line(),
            cmd.occurred_at,
        )
        if applied:
            self.upserts += 1
            self._upserted.append((cmd.tenant_id, "property", cmd.property_id))
            await self._replace_contacts(cmd.tenant_id, "property", cmd.property_id, cmd.contacts)
            await self._refresh_search_text(cmd.tenant_id, "property_id", cmd.property_id)
        return bool(applied)

    async def upsert_technician(self, cmd: commands.UpsertTechnician) -> bool:
        applied = await self._conn.fetchval(
            f"""INSERT INTO jobs.technicians (tenant_id, technician_id, name, phone,
                    commission_rate, rate_card, currency, version_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (tenant_id, technician_id) DO UPDATE
                   SET name = EXCLUDED.name, phone = EXCLUDED.phone,
                       commission_rate = EXCLUDED.commission_rate,
                       rate_card = EXCLUDED.rate_card, currency = EXCLUDED.currency,
                       version_at = EXCLUDED.version_at
                {_NEWER.format(t="technicians")}
                RETURNING true""",  # noqa: S608 - the format only inserts a table name
            cmd.tenant_id,
            cmd.technician_id,
            cmd.name,
            cmd.phone,
            cmd.commission_rate,
            json.dumps([{**asdict(r), "unit_price": str(r.unit_price)} for r in cmd.rate_card]),
            cmd.currency,
            cmd.occurred_at,
        )
        if applied:  # a rate read ahead for this transaction is stale now; as stored:
            self.upserts += 1
            self._upserted.append((cmd.tenant_id, "technician", cmd.technician_id))
            rate = cmd.commission_rate.quantize(Decimal("0.0001"))  # numeric(6, 4)
            self._rates[(cmd.tenant_id, cmd.technician_id)] = rate
        return bool(applied)

    def take_upserted(self) -> list[tuple[str, str, UUID]]:
        """(tenant, kind, id) of each party upserted since the last call: its jobs show it."""
        upserted, self._upserted = self._upserted, []
        return upserted

    async def ensure_parties(self, cmd: commands.DispatchJob) -> None:
        tenant, add = cmd.tenant_id, self._writer.add
        add(rows.CustomerPlaceholder(tenant, cmd.customer_id))
        add(rows.PropertyPlaceholder(tenant, cmd.property_id, cmd.customer_id))
        for technician in sorted({cmd.technician_id, cmd.first_visit.technician_id}):
            add(rows.TechnicianPlaceholder(tenant, technician))

    async def property_exists(self, tenant_id: str, property_id: UUID) -> bool:
        # A placeholder written earlier in the batch counts (it is not sent yet).
        pending = self._writer.pending(rows.PropertyPlaceholder)
        if any(p.tenant_id == tenant_id and p.property_id == property_id for p in pending):
            return True
        found = await self._conn.fetchval(
            "SELECT 1 FROM jobs.properties WHERE tenant_id = $1 AND property_id = $2",
            tenant_id,
            property_id,
        )
        return found is not None

    async def technician_terms(
        self, tenant_id: str, technician_id: UUID
    ) -> tuple[Decimal, dict[str, Decimal]]:
        row = await self._conn.fetchrow(
            """SELECT commission_rate, rate_card FROM jobs.technicians
                WHERE tenant_id = $1 AND technician_id = $2""",
            tenant_id,
            technician_id,
        )
        if row is None:
            return Decimal(0), {}
        card = {line["code"]: Decimal(line["unit_price"]) for line in json.loads(row["rate_card"])}
        return row["commission_rate"] or Decimal(0), card

    async def chargeback_percent(self, tenant_id: str) -> Decimal:
        percent: Decimal = await self._conn.fetchval(
            "SELECT chargeback_percent FROM jobs.tenants WHERE tenant_id = $1", tenant_id
        )
        return percent

    async def add_document(self, cmd: commands.AddDocument) -> bool:
        added = await self._conn.fetchval(
            """INSERT INTO jobs.documents (tenant_id, document_id, job_id, property_id, kind,
                   blob_key, filename, content_type, size_bytes, added_at, sha256)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
               ON CONFLICT DO NOTHING RETURNING true""",
            cmd.tenant_id,
            cmd.document_id,
            cmd.job_id,
            cmd.property_id,
            cmd.kind,
            cmd.blob_key,
            cmd.filename,
            cmd.content_type,
            cmd.size_bytes,
            cmd.occurred_at,
            cmd.sha256,
        )
        return bool(added)

    async def default_tax_rate(self, tenant_id: str) -> Decimal:
        if tenant_id not in self._tenants:
            await self.look_up_tenants({tenant_id})
        if not self._tenants[tenant_id]:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return self._default_tax_rates[tenant_id]

    async def business(self, tenant_id: str) -> Business:
        found = await self._conn.fetchrow(
            "SELECT name, business_email FROM jobs.tenants WHERE tenant_id = $1",
            tenant_id,
        )
        if found is None:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return Business(found["name"], found["business_email"])

    async def invoice_email(self, tenant_id: str) -> InvoiceEmail:
        found = await self._conn.fetchrow(
            "SELECT invoice_email_subject, invoice_email_body FROM jobs.tenants"
            " WHERE tenant_id = $1",
            tenant_id,
        )
        if found is None:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return InvoiceEmail(found["invoice_email_subject"], found["invoice_email_body"])

    async def time_zone(self, tenant_id: str) -> str:
        zone = await self._conn.fetchval(
            "SELECT time_zone FROM jobs.tenants WHERE tenant_id = $1", tenant_id
        )
        if zone is None:
            raise UnknownTenant(f"tenant {tenant_id!r} is not provisioned")
        return str(zone)

    async def _refresh_search_text(self, tenant_id: str, column: str, owner_id: UUID) -> None:
        """Names and addresses are searched through the jobs that mention them."""
        assert column in {"customer_id", "property_id"}  # noqa: S101 - never user input
        await self._conn.execute(
            f"""UPDATE jobs.jobs
                   SET search_text = jobs.search_text_of(tenant_id, job_number, customer_id,
                                                         property_id)
                 WHERE tenant_id = $1 AND {column} = $2""",  # noqa: S608 - a fixed column
            tenant_id,
            owner_id,
        )

    async def _ensure_customer(self, tenant_id: str, customer_id: UUID) -> None:
        await self._conn.execute(
            """INSERT INTO jobs.customers (tenant_id, customer_id) VALUES ($1, $2)
               ON CONFLICT DO NOTHING""",
            tenant_id,
            customer_id,
        )

    async def _replace_contacts(
        self,
        tenant_id: str,
        owner_kind: str,
        owner_id: UUID,
        contacts: tuple[commands.ContactInfo, ...],
    ) -> None:
        await self._conn.execute(
            """DELETE FROM jobs.contacts
                WHERE tenant_id = $1 AND owner_kind = $2 AND owner_id = $3""",
            tenant_id,
            owner_kind,
            owner_id,
        )
        # A contact that moved from another owner moves with its id.
        await self._conn.executemany(
            """INSERT INTO jobs.contacts (tenant_id, contact_id, owner_kind, owner_id, name,
                   phone, email, role)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (tenant_id, contact_id) DO UPDATE
                  SET owner_kind = EXCLUDED.owner_kind, owner_id = EXCLUDED.owner_id,
                      name = EXCLUDED.name, phone = EXCLUDED.phone, email = EXCLUDED.email,
                      role = EXCLUDED.role""",
            [
                (tenant_id, c.contact_id, owner_kind, owner_id, c.name, c.phone, c.email, c.role)
                for c in contacts
            ],
        )


def _json(address: commands.Address | None) -> str | None:
    return None if address is None else json.dumps(asdict(address))
