"""Jobs kept by a consumer process between its batches (issue 15).

A job's facts arrive minutes apart, each in another batch, and loading it each time (its
row and four sub-queries, decoded into an aggregate) was the largest read of the batch
path. A batch locks its jobs first, reading each one's ``version``; a kept job of the same
version is what the load would return, so only the others are loaded.

That rests on one invariant of the write path: everything the load reads (the job's row,
its visits, lines, subjob shares and recall link) changes only in a transaction that also
inserts or updates the job's own row (``job_rows``: ``JobInsert``, ``JobUpdate``), and
every update bumps ``version``. A writer that changes those tables without a
``JobUpdate`` of the job must bump ``version`` itself.

A batch takes its jobs out of the cache and puts them back only once it has committed,
with the version its updates left; a batch that fails puts nothing back, so a job the
handlers changed and the database did not keep is never seen again. A job is kept with
its times in UTC, as PostgreSQL gives them back: a fact's offset (-06:00) would otherwise
print in the events of later batches where a loaded job prints UTC.
"""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

import asyncpg

from jobline_jobs.domain.model import Job

Key = tuple[str, UUID]
# Jobs; about 5 KB each in RSS (the bench: +24 MB for 5,000), so ~100 MB at most, and
# room for the 20,000 jobs the bench has in flight at once (stage-major).
CAPACITY = 20_000


class JobCache:
    """The most recently committed jobs of one process, by (tenant, id), with their
    versions; the least recently used go first."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._jobs: OrderedDict[Key, tuple[int, Job]] = OrderedDict()

    def take_locked(
        self, locked: Sequence[asyncpg.Record], jobs: dict[Key, Job], versions: dict[Key, int]
    ) -> list[Key]:
        """Of the jobs just locked (rows of tenant_id, job_id, version), put those kept
        at that version into ``jobs`` and ``versions``; the keys left to load. Either
        way a locked job is no longer kept: the transaction owns it now."""
        load = []
        for tenant_id, job_id, version in locked:
            key = (tenant_id, job_id)
            kept = self._jobs.pop(key, None)
            if kept is None or kept[0] != version:
                load.append(key)
            else:
                jobs[key], versions[key] = kept[1], version
        return load

    def keep(self, jobs: Mapping[Key, Job], versions: Mapping[Key, int]) -> None:
        """Jobs as a committed transaction left them, at their versions (a job whose
        version is not known is not kept)."""
        kept = self._jobs
        for key, job in jobs.items():
            version = versions.get(key, -1)
            if version > 0:
                kept[key] = (version, _as_stored(job))
                kept.move_to_end(key)
        while len(kept) > self._capacity:
            kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._jobs)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is UTC else at.astimezone(UTC)


def _as_stored(job: Job) -> Job:
    """``job`` with its times as a load would give them (UTC)."""
    job.scheduled_start, job.scheduled_end = _utc(job.scheduled_start), _utc(job.scheduled_end)
    job.completed_at = None if job.completed_at is None else _utc(job.completed_at)
    job.deferred_at = None if job.deferred_at is None else _utc(job.deferred_at)
    for key, visit in job.dispatches.items():
        start, end = _utc(visit.window_start), _utc(visit.window_end)
        if start is not visit.window_start or end is not visit.window_end:
            job.dispatches[key] = replace(visit, window_start=start, window_end=end)
    return job
