"""Which outbox lanes this replica relays: session advisory locks, shared fairly.

Every outbox row has ``lane_hash`` (a 15-bit hash of its key, a generated column; see the
``*_outbox_lanes.sql`` migrations); with N lanes a row is in lane ``lane_hash % N``. A
replica relays a lane only while its session holds that lane's advisory lock, a two-key
lock ``(service lock id, N << 16 | lane)``. Every round (a few seconds, in one short
transaction serialised by a gate lock so two replicas never decide on the same picture)
a replica reads the service's advisory locks from ``pg_locks`` and:

- takes free lanes until it holds its share, ceil(N / relays of this N), and takes any
  lane left free for a few rounds (a peer that cannot take it);
- releases lanes above its share when another relay holds fewer than N // relays, so a
  new replica gets work (the caller releases between batches, never mid-batch);
- takes nothing while a relay configured with another N holds a lane: its lanes cut the
  keys differently, and two relays sending one key at once could reorder it. Changing N
  is therefore a rolling restart: new relays wait until the last old one has gone.

Membership is a shared lock ``(service lock id, N << 16 | 0xFFFF)``, counted to know the
share. Each relay also holds the service's old single-relay lock (one bigint key) in
shared mode, so a relay of the version before lanes (which takes it exclusively) and a
lane relay never run at once.
"""

import hashlib
import math
from dataclasses import dataclass, field

import asyncpg

MEMBER = 0xFFFF  # the low 16 bits of the membership key; lanes are 0..N-1
GATE = 0  # the key of the transaction lock that serialises rounds
MAX_LANES = 1024
_LEFT_FREE_ROUNDS = 3  # rounds a lane stays free before any relay takes it beyond its share
_LOCKS = """
SELECT pid, objid::bigint AS key FROM pg_locks
 WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::bigint::oid
   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def lane_of(key: bytes | None, lanes: int) -> int:
    """The lane of ``key`` with ``lanes`` lanes, as the generated column computes it."""
    if key is None:
        return 0
    return (int.from_bytes(hashlib.sha256(key).digest()[:2], "big") >> 1) % lanes


def lane_key(lanes: int, lane: int) -> int:
    """The second key of a lane's (or, with ``MEMBER``, the membership's) advisory lock."""
    return lanes << 16 | lane


@dataclass
class LaneClaims:
    """The lanes this session holds, and the rounds that change them."""

    lock_id: int
    lanes: int
    held: set[int] = field(default_factory=set)
    relays: int = 0  # relays of this N seen in the last round, this one included
    _free_for: dict[int, int] = field(default_factory=dict)  # lane → rounds seen free

    def __post_init__(self) -> None:
        if not 1 <= self.lanes <= MAX_LANES:
            raise ValueError(f"lanes must be within 1..{MAX_LANES}, not {self.lanes}")
        if not 0 < self.lock_id < 2**31:
            raise ValueError("the relay's lock id must be a positive 32-bit integer")

    async def join(self, conn: asyncpg.Connection) -> bool:
        """Become a relay of this outbox; False while a single-relay process leads it."""
        if not await conn.fetchval("SELECT pg_try_advisory_lock_shared($1::bigint)", self.lock_id):
            return False
        member = lane_key(self.lanes, MEMBER)
        await conn.execute("SELECT pg_advisory_lock_shared($1, $2)", self.lock_id, member)
        return True

    async def rebalance(self, conn: asyncpg.Connection) -> tuple[list[int], list[int]]:
        """Take what is free up to this relay's share; returns (taken, to release). The
        caller stops relaying the lanes to release, then calls ``release``."""
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", self.lock_id, GATE)
            me = await conn.fetchval("SELECT pg_backend_pid()")
            locks = [(r["pid"], r["key"]) for r in await conn.fetch(_LOCKS, self.lock_id)]
            taken = await self._take(conn, me, locks)
        return taken, self._surplus(me, locks)

    async def release(self, conn: asyncpg.Connection, lanes: list[int]) -> None:
        for lane in lanes:
            await conn.execute(
                "SELECT pg_advisory_unlock($1, $2)", self.lock_id, lane_key(self.lanes, lane)
            )
            self.held.discard(lane)

    async def _take(
        self, conn: asyncpg.Connection, me: int, locks: list[tuple[int, int]]
    ) -> list[int]:
        members = {pid for pid, key in locks if key == lane_key(self.lanes, MEMBER)}
        self.relays = len(members | {me})
        if any(self._foreign(key) for _, key in locks):
            return []
        holders = {key & 0xFFFF: pid for pid, key in locks if key >> 16 == self.lanes}
        free = [lane for lane in range(self.lanes) if lane not in holders]
        self._free_for = {lane: self._free_for.get(lane, 0) + 1 for lane in free}
        share = math.ceil(self.lanes / self.relays)
        wanted = free[: max(0, share - len(self.held))]
        wanted += [lane for lane in free if self._free_for[lane] > _LEFT_FREE_ROUNDS]
        taken = []
        for lane in dict.fromkeys(wanted):
            key = lane_key(self.lanes, lane)
            if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", self.lock_id, key):
                self.held.add(lane)
                taken.append(lane)
        return taken

    def _surplus(self, me: int, locks: list[tuple[int, int]]) -> list[int]:
        """Lanes above this relay's share, when another relay of this N holds fewer than
        its floor (and would take them)."""
        counts = {pid: 0 for pid, key in locks if key == lane_key(self.lanes, MEMBER)}
        for pid, key in locks:
            if key >> 16 == self.lanes and key & 0xFFFF != MEMBER and pid in counts:
                counts[pid] += 1
        share = math.ceil(self.lanes / self.relays)
        starved = any(n < self.lanes // self.relays for pid, n in counts.items() if pid != me)
        return sorted(self.held)[share:] if starved else []

    def _foreign(self, key: int) -> bool:
        """A lane lock of a relay configured with another number of lanes."""
        return key != GATE and key & 0xFFFF != MEMBER and key >> 16 != self.lanes
