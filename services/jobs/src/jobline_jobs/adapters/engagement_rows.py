"""The typed row of issue 20's email engagement; ``rows.STATEMENTS`` places it last of
the send rows' kin (it only updates a delivery that exists)."""

from datetime import datetime
from typing import NamedTuple
from uuid import UUID


class EngagementUpdate(NamedTuple):
    tenant_id: str
    delivery_id: UUID
    opened_at: datetime | None
    deferred_at: datetime | None
    deferred_reason: str | None


# Order-free, as comms merges them: the earliest open (LEAST skips NULLs), the latest
# deferral, at one instant the greater reason; a report no newer changes nothing.
STATEMENTS: dict[type[EngagementUpdate], str] = {
    EngagementUpdate: """UPDATE jobs.deliveries d
           SET opened_at = LEAST(d.opened_at, $3::timestamptz),
               deferred_at = CASE WHEN n.newer THEN $4 ELSE d.deferred_at END,
               deferred_reason = CASE WHEN n.newer THEN $5 ELSE d.deferred_reason END
          FROM (SELECT $4::timestamptz IS NOT NULL AND (o.deferred_at IS NULL
                       OR (o.deferred_at, o.deferred_reason) < ($4::timestamptz, $5::text))
                       AS newer
                  FROM jobs.deliveries o WHERE o.tenant_id = $1 AND o.delivery_id = $2) n
         WHERE d.tenant_id = $1 AND d.delivery_id = $2""",
}
