"""``jobs.state.v1``: one snapshot per job a transaction changed, written at its commit.

The unit of work tells :class:`JobStates` which jobs each message touched (every saved
job, every event's job) and which parties it upserted. At commit, after the transaction's
other rows are sent, three statements do the rest for all of them at once: find the jobs
whose detail shows what changed (a subjob's parent shows its payments, a recall's
original lists it, a party's jobs show its name, address and contacts, a technician's
visits show their name), lock them in (tenant, id) order as every locker of several jobs
does, so a concurrent change to one of them commits its own snapshot first or after ours,
never interleaved, and read them in the shape ``JobDetails.job`` reads one. Each becomes
``job_state`` (what ``GET /v1/jobs/{id}`` shows) in an outbox row, in the flow of the
last message that touched it: at most one per job per transaction, whether a message on
its own or a batch.
"""

import json
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.adapters import wire
from jobline_jobs.adapters.job_queries import JOB_ROW_SQL
from jobline_jobs.adapters.outbox import CausedMessages
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.service_layer.job_state import job_state

PARTY_KINDS = ("customer", "property", "technician")

# The touched jobs ($1 tenants, $2 ids, $3 causes) and upserted parties ($4 tenants,
# $5 kinds, $6 ids, $7 causes) -> every job to snapshot, locked, with its latest cause.
_AFFECTED = """
WITH touched AS (SELECT * FROM unnest($1::text[], $2::uuid[], $3::int[])
                          t(tenant_id, job_id, cause)),
parties AS (SELECT * FROM unnest($4::text[], $5::text[], $6::uuid[], $7::int[])
                   p(tenant_id, kind, party_id, cause)),
affected AS (
    SELECT tenant_id, job_id, cause FROM touched
    UNION ALL
    SELECT j.tenant_id, j.parent_job_id, t.cause FROM touched t
      JOIN jobs.jobs j ON j.tenant_id = t.tenant_id AND j.job_id = t.job_id
     WHERE j.parent_job_id IS NOT NULL
    UNION ALL
    SELECT l.tenant_id, l.original_job_id, t.cause FROM touched t
      JOIN jobs.recall_links l ON l.tenant_id = t.tenant_id AND l.recall_job_id = t.job_id
    UNION ALL
    SELECT j.tenant_id, j.job_id, p.cause FROM parties p
      JOIN jobs.jobs j ON j.tenant_id = p.tenant_id AND j.customer_id = p.party_id
     WHERE p.kind = 'customer'
    UNION ALL
    SELECT j.tenant_id, j.job_id, p.cause FROM parties p
      JOIN jobs.jobs j ON j.tenant_id = p.tenant_id AND j.property_id = p.party_id
     WHERE p.kind = 'property'
    UNION ALL
    SELECT j.tenant_id, j.job_id, p.cause FROM parties p
      JOIN jobs.jobs j ON j.tenant_id = p.tenant_id AND j.technician_id = p.party_id
     WHERE p.kind = 'technician'
    UNION ALL
    SELECT d.tenant_id, d.job_id, p.cause FROM parties p
      JOIN jobs.dispatches d ON d.tenant_id = p.tenant_id AND d.technician_id = p.party_id
     WHERE p.kind = 'technician'
)
SELECT j.tenant_id, j.job_id, a.cause
  FROM jobs.jobs j
  JOIN (SELECT tenant_id, job_id, max(cause) AS cause FROM affected GROUP BY 1, 2) a
    ON a.tenant_id = j.tenant_id AND a.job_id = j.job_id
 ORDER BY j.tenant_id, j.job_id
   FOR UPDATE OF j
"""

# The list's row (``JOB_ROW_SQL``, so the two name parties alike) plus what the details
# show, for many jobs: each part ordered as ``JobDetails`` orders it.
_ANCHOR = "SELECT j.job_id,"
if _ANCHOR not in JOB_ROW_SQL:  # the snapshot's columns go in front of the list row's
    raise RuntimeError("JOB_ROW_SQL no longer starts with " + _ANCHOR)
_STATES = (
    JOB_ROW_SQL.replace(  # noqa: S608 - constant SQL, no input in it
        _ANCHOR,
        """SELECT j.tenant_id, j.tax_rate, c.billing_address, p.address AS property_address_parts,
       j.parent_job_id,
       (SELECT i.status FROM jobs.invoices i WHERE i.tenant_id = j.tenant_id
           AND i.job_id = j.job_id AND i.status <> 'reserved') AS invoice_status,
       (SELECT array_agg(ROW(k.contact_id, k.owner_kind, k.name, k.phone, k.email, k.role)
                         ORDER BY k.owner_kind, k.name, k.contact_id)
          FROM jobs.contacts k
         WHERE k.tenant_id = j.tenant_id
           AND ((k.owner_kind = 'customer' AND k.owner_id = j.customer_id)
                OR (k.owner_kind = 'property' AND k.owner_id = j.property_id))) AS contacts,
       (SELECT array_agg(ROW(li.line_id, li.code, li.description, li.quantity, li.unit_price,
                             li.taxable) ORDER BY li.position)
          FROM jobs.line_items li
         WHERE li.tenant_id = j.tenant_id AND li.job_id = j.job_id) AS line_items,
       (SELECT array_agg(ROW(d.dispatch_id, d.technician_id, dt.name, d.window_start,
                             d.window_end, d.status,
                             (SELECT coalesce(json_agg(json_build_object('status', h.status,
                                                                         'at', h.at)
                                                       ORDER BY h.at, h.status), '[]')
                                FROM jobs.dispatch_status_history h
                               WHERE h.tenant_id = d.tenant_id
                                 AND h.dispatch_id = d.dispatch_id))
                         ORDER BY d.window_start, d.dispatch_id)
          FROM jobs.dispatches d
          LEFT JOIN jobs.technicians dt ON dt.tenant_id = d.tenant_id
                                       AND dt.technician_id = d.technician_id
         WHERE d.tenant_id = j.tenant_id AND d.job_id = j.job_id) AS dispatches,
       (SELECT array_agg(ROW(s.job_id, s.amount_paid)
                         ORDER BY length(s.job_number), s.job_number)
          FROM jobs.jobs s
         WHERE s.tenant_id = j.tenant_id AND s.parent_job_id = j.job_id) AS subjobs,
       (SELECT l.original_job_id FROM jobs.recall_links l
         WHERE l.tenant_id = j.tenant_id AND l.recall_job_id = j.job_id
           AND l.unlinked_at IS NULL) AS recall_of,
       (SELECT array_agg(l.recall_job_id ORDER BY l.linked_at, l.recall_job_id)
          FROM jobs.recall_links l
         WHERE l.tenant_id = j.tenant_id AND l.original_job_id = j.job_id
           AND l.unlinked_at IS NULL) AS recalls,
       j.job_id,""",
        1,
    )
    + " WHERE (j.tenant_id, j.job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))"
    + " ORDER BY j.tenant_id, j.job_id"
)

_PARTS: dict[str, tuple[str, ...]] = {
    "contacts": ("contact_id", "owner_kind", "name", "phone", "email", "role"),
    "line_items": ("line_id", "code", "description", "quantity", "unit_price", "taxable"),
    "dispatches": (
        "dispatch_id",
        "technician_id",
        "technician_name",
        "window_start",
        "window_end",
        "status",
        "history",
    ),
    "subjobs": ("job_id", "amount_paid"),
}


def as_detail(row: asyncpg.Record) -> dict[str, Any]:
    """A row of ``_STATES`` in the shape ``JobDetails.job`` returns (what ``job_state``
    reads)."""
    job: dict[str, Any] = dict(row)
    for part, fields in _PARTS.items():
        job[part] = [dict(zip(fields, record, strict=True)) for record in job[part] or ()]
    for visit in job["dispatches"]:
        visit["history"] = json.loads(visit["history"])
    job["recalls"] = list(job["recalls"] or ())
    job["invoice_issued"] = job["invoice_status"] is not None
    job["invoice_stands"] = job["invoice_status"] == "issued"
    for column in ("billing_address", "property_address_parts"):
        raw = job[column]
        job[column] = None if raw is None else dict(json.loads(raw))
    return job


async def read_states(conn: Connection, keys: Sequence[tuple[str, UUID]]) -> list[dict[str, Any]]:
    """The jobs ``keys`` as their details read them, in one statement; missing ones left
    out."""
    rows = await conn.fetch(_STATES, [t for t, _ in keys], [j for _, j in keys])
    return [as_detail(row) for row in rows]


class JobStates:
    """The jobs one transaction touched and the parties it upserted (see the module)."""

    def __init__(self, conn: Connection, rows: RowWriter) -> None:
        self._conn, self._rows = conn, rows
        self._causes: list[CausedMessages] = []
        self._jobs: dict[tuple[str, UUID], int] = {}
        self._parties: dict[tuple[str, str, UUID], int] = {}

    def touch(self, tenant_id: str, job_id: UUID, messages: CausedMessages) -> None:
        """Job ``job_id`` changed, last by the message ``messages`` stamps."""
        self._jobs[(tenant_id, job_id)] = self._cause(messages)

    def touch_party(self, tenant_id: str, kind: str, party_id: UUID, msgs: CausedMessages) -> None:
        """A customer, property or technician (``kind``) changed: its jobs show it."""
        assert kind in PARTY_KINDS  # noqa: S101 - never input
        self._parties[(tenant_id, kind, party_id)] = self._cause(msgs)

    def _cause(self, messages: CausedMessages) -> int:
        if not self._causes or self._causes[-1] is not messages:
            self._causes.append(messages)
        return len(self._causes) - 1

    async def write(self) -> None:
        """Every affected job's snapshot as an outbox row, sent now; nothing to do (and
        no statement) when the transaction changed no job and no party."""
        if not self._jobs and not self._parties:
            return
        jobs, parties, causes = self._jobs, self._parties, self._causes
        self._jobs, self._parties, self._causes = {}, {}, []
        affected = await self._conn.fetch(
            _AFFECTED,
            [t for t, _ in jobs],
            [j for _, j in jobs],
            list(jobs.values()),
            [t for t, _, _ in parties],
            [k for _, k, _ in parties],
            [p for _, _, p in parties],
            list(parties.values()),
        )
        cause_of = {(r["tenant_id"], r["job_id"]): r["cause"] for r in affected}
        for job in await read_states(self._conn, list(cause_of)):
            tenant_id = job["tenant_id"]
            messages = causes[cause_of[(tenant_id, job["job_id"])]]
            self._rows.add(wire.snapshot(job_state(job), tenant_id, messages))
        await self._rows.send()
