"""The Jobs list as CSV: one line per job, written as the rows arrive, in chunks."""

import csv
import io
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jobline_jobs.entrypoints.api.presenters import balance_due, due_to_bill_on

HEADER = (
    "number",
    "id",
    "summary",
    "step",
    "scheduled_start",
    "scheduled_end",
    "completed_at",
    "deferred_at",
    "deferral_reason",
    "customer",
    "property",
    "technician",
    "currency",
    "total",
    "amount_paid",
    "balance_due",
    "due_to_bill_on",
)
_CHUNK = 500  # rows per chunk sent: big enough to keep the writes few


def _text(value: str | None) -> str:
    """Free text a spreadsheet would run as a formula starts with a quote (OWASP's CSV
    injection advice); everything else is as the API has it."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value or ""


def _line(row: Mapping[str, Any], zone: ZoneInfo) -> tuple[object, ...]:
    def at(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat() if value else ""

    bill_on = due_to_bill_on(row)
    return (
        row["job_number"],
        row["job_id"],
        _text(row["summary"]),
        row["step"],
        at(row["scheduled_start"]),
        at(row["scheduled_end"]),
        at(row["completed_at"]),
        at(row["deferred_at"]),
        _text(row["deferral_reason"]),
        _text(row["customer_name"]),
        _text(row["property_address"]),
        _text(row["technician_name"]),
        row["currency"],
        row["total"],
        row["amount_paid"],
        balance_due(row),
        bill_on.isoformat() if bill_on else "",
    )


async def csv_chunks(
    rows: AsyncIterator[Mapping[str, Any]], time_zone: str
) -> AsyncIterator[bytes]:
    """The header, then the rows in chunks of ``_CHUNK``, times in the tenant's zone."""
    zone = ZoneInfo(time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    count = 0
    async for row in rows:
        writer.writerow(_line(row, zone))
        count += 1
        if count % _CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
