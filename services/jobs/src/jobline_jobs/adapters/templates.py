"""Message templates on PostgreSQL: the unit of work's store, and the API's reads."""

from typing import Any
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.domain.templates import (
    MergeValues,
    Template,
    arrival_window,
    first_name,
    invoice_amount,
)
from jobline_jobs.service_layer.templates import TemplateStore

_COLUMNS = "tenant_id, template_id, name, channel, subject, body, updated_at, updated_by"


def _template(row: asyncpg.Record) -> Template:
    return Template(**dict(row))


class PostgresTemplates(TemplateStore):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, tenant_id: str, template_id: UUID) -> Template | None:
        row = await self._conn.fetchrow(
            f"""SELECT {_COLUMNS} FROM jobs.message_templates
                 WHERE tenant_id = $1 AND template_id = $2 FOR UPDATE""",  # noqa: S608
            tenant_id,
            template_id,
        )
        return None if row is None else _template(row)

    async def named(self, tenant_id: str, name: str, channel: str) -> Template | None:
        row = await self._conn.fetchrow(
            f"""SELECT {_COLUMNS} FROM jobs.message_templates
                 WHERE tenant_id = $1 AND lower(name) = lower($2) AND channel = $3""",  # noqa: S608
            tenant_id,
            name,
            channel,
        )
        return None if row is None else _template(row)

    async def save(self, template: Template) -> None:
        t = template
        await self._conn.execute(
            f"""INSERT INTO jobs.message_templates ({_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (tenant_id, template_id) DO UPDATE
                   SET name = EXCLUDED.name, channel = EXCLUDED.channel,
                       subject = EXCLUDED.subject, body = EXCLUDED.body,
                       updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by""",  # noqa: S608
            t.tenant_id,
            t.template_id,
            t.name,
            t.channel,
            t.subject,
            t.body,
            t.updated_at,
            t.updated_by,
        )

    async def delete(self, tenant_id: str, template_id: UUID) -> None:
        await self._conn.execute(
            "DELETE FROM jobs.message_templates WHERE tenant_id = $1 AND template_id = $2",
            tenant_id,
            template_id,
        )


async def templates_of(
    pool: asyncpg.Pool, tenant_id: str, channel: str | None = None
) -> list[Template]:
    rows = await pool.fetch(
        f"""SELECT {_COLUMNS} FROM jobs.message_templates
             WHERE tenant_id = $1 AND ($2::text IS NULL OR channel = $2)
             ORDER BY channel, lower(name)""",  # noqa: S608
        tenant_id,
        channel,
    )
    return [_template(r) for r in rows]


async def template_of(pool: asyncpg.Pool, tenant_id: str, template_id: UUID) -> Template | None:
    row = await pool.fetchrow(
        f"""SELECT {_COLUMNS} FROM jobs.message_templates
             WHERE tenant_id = $1 AND template_id = $2""",  # noqa: S608
        tenant_id,
        template_id,
    )
    return None if row is None else _template(row)


_MERGE_SOURCES = """
SELECT j.job_number, j.scheduled_start, j.scheduled_end, j.currency, c.name AS customer_name,
       t.name AS technician_name, n.name AS business_name, n.time_zone
  FROM jobs.jobs j JOIN jobs.tenants n ON n.tenant_id = j.tenant_id
  LEFT JOIN jobs.customers c ON c.tenant_id = j.tenant_id AND c.customer_id = j.customer_id
  LEFT JOIN jobs.technicians t ON t.tenant_id = j.tenant_id
                              AND t.technician_id = j.technician_id
 WHERE j.tenant_id = $1 AND j.job_id = $2"""


async def merge_values(
    pool: asyncpg.Pool, tenant_id: str, job_id: UUID, invoice: dict[str, Any] | None
) -> MergeValues | None:
    """The job's merge values; ``invoice`` is its issued invoice as the API reads it."""
    row = await pool.fetchrow(_MERGE_SOURCES, tenant_id, job_id)
    if row is None:
        return None
    stands = invoice is not None and invoice["status"] == "issued"
    return MergeValues(
        customer_first_name=first_name(row["customer_name"]),
        job_number=row["job_number"],
        arrival_window=arrival_window(
            row["scheduled_start"], row["scheduled_end"], row["time_zone"]
        ),
        technician=row["technician_name"] or None,
        invoice_number=invoice["invoice_number"] if invoice and stands else None,
        invoice_amount=invoice_amount(invoice["billed"], row["currency"])
        if invoice and stands
        else None,
        business_name=row["business_name"] or None,
    )
