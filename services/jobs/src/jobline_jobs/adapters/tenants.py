"""Provisioning tenants (a business, its time zone and currency)."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from jobline_contracts.types import NAME_MAX
from jobline_infra.postgres import Connection


async def add_tenant(
    conn: Connection, tenant_id: str, name: str, time_zone: str, currency: str
) -> bool:
    """Create the tenant, or update its name, zone and currency; True if it was new."""
    if not name.strip() or len(name) > NAME_MAX:
        # It is printed on every invoice: the render command's contract bounds it.
        raise ValueError(f"the tenant's name must be 1 to {NAME_MAX} characters")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {time_zone!r}") from error
    inserted = await conn.fetchval(
        """INSERT INTO jobs.tenants (tenant_id, name, time_zone, currency)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant_id) DO UPDATE
              SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone,
                  currency = EXCLUDED.currency
           RETURNING (xmax = 0)""",
        tenant_id,
        name,
        time_zone,
        currency,
    )
    return bool(inserted)
