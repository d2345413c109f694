"""Tenant settings on PostgreSQL: the unit of work's store, and the read the API and the
invoice share (the settings as they are, with the title and label an invoice prints)."""

import json
from collections.abc import Iterable
from typing import Any

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.domain.tenant_settings import TenantSettings
from jobline_jobs.service_layer.tenant_settings import TenantSettingsStore

# brand_colour is the column primary_colour (0005); every other setting is its column.
_SELECT = """
SELECT tenant_id, currency, name AS business_name, business_address, business_phone,
       business_email, tax_id, tax_id_label, invoice_title, payment_terms_days,
       logo_blob_key, primary_colour AS brand_colour, chargeback_percent,
       commission_split_rule, default_tax_rate, invoice_revision_convention,
       invoice_email_subject, invoice_email_body, settings_updated_at AS updated_at,
       settings_updated_by AS updated_by, time_zone, locale
  FROM jobs.tenants WHERE tenant_id = $1"""
_MANY = _SELECT.replace("tenant_id = $1", "tenant_id = ANY($1::text[])")


def _settings(row: asyncpg.Record) -> TenantSettings:
    raw = row["business_address"]
    fields = {k: row[k] for k in TenantSettings.__dataclass_fields__ if k != "business_address"}
    return TenantSettings(**fields, business_address=json.loads(raw) if raw else None)


async def tenant_profile(conn: Connection, tenant_id: str) -> dict[str, Any] | None:
    """The tenant's settings as plain data, plus its zone, locale and what its invoices
    print by default; None if no such tenant."""
    row = await conn.fetchrow(_SELECT, tenant_id)
    return None if row is None else _profile(row)


async def tenant_profiles(conn: Connection, tenant_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """``tenant_profile`` of each of these tenants that exists, in one statement."""
    rows = await conn.fetch(_MANY, list(tenant_ids))
    return {row["tenant_id"]: _profile(row) for row in rows}


def _profile(row: asyncpg.Record) -> dict[str, Any]:
    settings = _settings(row)
    return {
        **settings.__dict__,
        "time_zone": row["time_zone"],
        "locale": row["locale"],
        "printed_title": settings.printed_title,
        "printed_tax_id_label": settings.printed_tax_id_label,
        # the names the invoice snapshot has read these by since 0005
        "name": settings.business_name,
        "primary_colour": settings.brand_colour,
    }


class PostgresTenantSettings(TenantSettingsStore):
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, tenant_id: str) -> TenantSettings | None:
        row = await self._conn.fetchrow(_SELECT + " FOR UPDATE", tenant_id)
        return None if row is None else _settings(row)

    async def save(self, settings: TenantSettings) -> None:
        s = settings
        address = None if s.business_address is None else json.dumps(dict(s.business_address))
        await self._conn.execute(
            """UPDATE jobs.tenants
                  SET name = $2, business_address = $3::jsonb, business_phone = $4,
                      business_email = $5, tax_id = $6, tax_id_label = $7, invoice_title = $8,
                      payment_terms_days = $9, logo_blob_key = $10, primary_colour = $11,
                      chargeback_percent = $12, commission_split_rule = $13,
                      default_tax_rate = $14, settings_updated_at = $15,
                      settings_updated_by = $16, invoice_revision_convention = $17,
                      invoice_email_subject = $18, invoice_email_body = $19
                WHERE tenant_id = $1""",
            s.tenant_id,
            s.business_name,
            address,
            s.business_phone,
            s.business_email,
            s.tax_id,
            s.tax_id_label,
            s.invoice_title,
            s.payment_terms_days,
            s.logo_blob_key,
            s.brand_colour,
            s.chargeback_percent,
            s.commission_split_rule,
            s.default_tax_rate,
            s.updated_at,
            s.updated_by,
            s.invoice_revision_convention,
            s.invoice_email_subject,
            s.invoice_email_body,
        )
