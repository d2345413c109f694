"""Settings from the environment, with the local stack's defaults."""

import os
from dataclasses import dataclass
from typing import Literal

from jobline_contracts.topics import JOBS_LIFECYCLE

OffsetReset = Literal["earliest", "latest"]


@dataclass(frozen=True)
class Settings:
    """Where to read from and write to."""

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    database_url: str = "postgresql://jobline:jobline@127.0.0.1:5432/jobline"
    topic: str = JOBS_LIFECYCLE.name
    # The group's committed offsets are this consumer's progress: a new group id reads the
    # topic again from ``offset_reset`` (README, "Replay").
    group_id: str = "lifecycle-consumer"
    # A new group starts at the oldest event the topic still has, so the read model
    # holds every job whose events are within retention.
    offset_reset: OffsetReset = "earliest"

    @classmethod
    def from_env(cls) -> "Settings":
        """``KAFKA_BOOTSTRAP_SERVERS``, ``DATABASE_URL`` and ``LIFECYCLE_CONSUMER_*``."""
        env = os.environ
        reset = env.get("LIFECYCLE_CONSUMER_OFFSET_RESET", cls.offset_reset)
        if reset not in {"earliest", "latest"}:
            raise ValueError("LIFECYCLE_CONSUMER_OFFSET_RESET must be earliest or latest")
        return cls(
            kafka_bootstrap_servers=env.get("KAFKA_BOOTSTRAP_SERVERS", cls.kafka_bootstrap_servers),
            database_url=env.get("DATABASE_URL", cls.database_url),
            topic=env.get("LIFECYCLE_CONSUMER_TOPIC", cls.topic),
            group_id=env.get("LIFECYCLE_CONSUMER_GROUP", cls.group_id),
            offset_reset="earliest" if reset == "earliest" else "latest",
        )
