"""Each job's commission ledger in PostgreSQL (``jobs.commission_entries``).

An account is read when a handler asks for it (its job already locked) or, for a
batch, for all the batch's completions with one statement (``look_up``); a job the
batch found absent has no entries, so it costs no read at all. New entries go to the
transaction's :class:`RowWriter` as typed rows; the table refuses updates and deletes.
"""

from collections.abc import Iterable
from uuid import UUID

import asyncpg

from jobline_infra.postgres import Connection
from jobline_jobs.adapters.commission_rows import CommissionEntryInsert
from jobline_jobs.adapters.row_writer import RowWriter
from jobline_jobs.adapters.tracking import Tracking
from jobline_jobs.domain.commissions import (
    CommissionAccount,
    CommissionEntryRecorded,
    Entry,
    EntryKind,
)
from jobline_jobs.domain.model import Job
from jobline_jobs.service_layer.unit_of_work import CommissionLedger

_COLUMNS = """entry_id, technician_id, kind, amount, cause, at, basis, rate, chargeback_id,
       recall_job_id, reason, message_id"""
_ONE = f"""SELECT {_COLUMNS} FROM jobs.commission_entries
 WHERE tenant_id = $1 AND job_id = $2 ORDER BY at, entry_id"""  # noqa: S608 - fixed columns
_MANY = f"""SELECT tenant_id, job_id, {_COLUMNS} FROM jobs.commission_entries
 WHERE (tenant_id, job_id) IN (SELECT * FROM unnest($1::text[], $2::uuid[]))
 ORDER BY at, entry_id"""  # noqa: S608 - fixed columns


def _entry(row: asyncpg.Record) -> Entry:
    return Entry(
        row["entry_id"],
        row["technician_id"],
        EntryKind(row["kind"]),
        row["amount"],
        row["cause"],
        row["at"],
        row["message_id"],
        row["basis"],
        row["rate"],
        row["chargeback_id"],
        row["recall_job_id"],
        row["reason"],
    )


class PostgresCommissionLedger(Tracking[CommissionAccount], CommissionLedger):
    """The ledgers of one transaction (a batch shares one among its messages)."""

    def __init__(self, conn: Connection, writer: RowWriter) -> None:
        super().__init__(conn, writer)
        # Entries read ahead (by ``look_up``), not yet taken into an account.
        self._known: dict[tuple[str, UUID], list[Entry]] = {}
        # The accounts the current message asked for: only they can have changed (a
        # batch tracks many accounts; looking through all of them per message is not free).
        self._touched: dict[tuple[str, UUID], CommissionAccount] = {}

    async def look_up(self, present: Iterable[Job], absent: Iterable[tuple[str, UUID]]) -> None:
        """The entries of many jobs in one statement; ``absent`` jobs have none."""
        known = self._known
        known.update((key, []) for key in absent)
        keys = sorted({(j.tenant_id, j.job_id) for j in present} - known.keys())
        if not keys:
            return
        known.update((key, []) for key in keys)
        rows = await self._conn.fetch(_MANY, [t for t, _ in keys], [j for _, j in keys])
        for row in rows:
            known[(row["tenant_id"], row["job_id"])].append(_entry(row))

    async def account(self, job: Job) -> CommissionAccount:
        key = (job.tenant_id, job.job_id)
        tracked = self._tracked.get(key)
        if tracked is not None:
            self._touched[key] = tracked
            return tracked
        entries = self._known.pop(key, None)
        if entries is None:
            entries = [_entry(r) for r in await self._conn.fetch(_ONE, *key)]
        account = CommissionAccount(job.tenant_id, job.job_id, job.job_number, job.currency)
        account.entries.extend(entries)
        self._touched[key] = account
        return self._track(key, account)

    def changed(self) -> list[CommissionAccount]:
        changed = [account for account in self._touched.values() if account.events]
        self._touched.clear()
        return changed

    def forget(self) -> None:
        super().forget()
        self._known.clear()
        self._touched.clear()

    def save(self, aggregate: CommissionAccount) -> None:
        for event in aggregate.events:
            if isinstance(event, CommissionEntryRecorded):
                e = event.entry
                self._writer.add(
                    CommissionEntryInsert(
                        aggregate.tenant_id,
                        e.entry_id,
                        aggregate.job_id,
                        e.technician_id,
                        e.kind.value,
                        e.amount,
                        e.cause,
                        e.at,
                        e.basis,
                        e.rate,
                        e.chargeback_id,
                        e.recall_job_id,
                        e.reason,
                        e.recorded_by,
                    )
                )
