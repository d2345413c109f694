-- Outbox lanes (issue 15), as in the jobs schema: each row carries a 15-bit hash of its
-- key, computed here so that no writer changes. A relay configured with N lanes (comms
-- uses the relay's default, 8) relays lane = lane_hash % N; a key always has one hash,
-- hence one lane, and a lane is relayed in outbox_id order by the one replica holding its
-- advisory lock, so per-key order holds while replicas relay different lanes in parallel.
-- Rows without a key hash to 0, i.e. lane 0.
--
-- Why a hash and not the lane itself: N is a setting, and a stored lane would be wrong
-- for rows already waiting when N changes. The hash never changes; N only decides which
-- lock covers it. Relays with different N never relay at the same time (lane locks name
-- N; a relay takes no lane while a relay of another N holds one), so a change of N is a
-- rolling restart: the new relays wait until the last old one has gone, then take the
-- rows still waiting, each key in its lane, in id order.
--
-- sha256 rather than hashtext: documented, the same on every PostgreSQL version and
-- platform, and in Python (jobline_infra.outbox_lanes.lane_of). No index: the relay reads
-- the primary key in id order and keeps the rows of the lanes it holds (a replica holding
-- h of N lanes reads about N/h rows per row it sends, from an outbox kept near empty).
ALTER TABLE comms.outbox ADD COLUMN lane_hash smallint NOT NULL GENERATED ALWAYS AS (
    COALESCE(('x' || encode(substring(sha256(key) FROM 1 FOR 2), 'hex'))::bit(16)::integer >> 1, 0)
) STORED;
