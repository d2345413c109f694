"""Provision Jobline's topics (idempotent), from the contracts' topic registry."""

import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from jobline_contracts.topics import TOPICS

log = logging.getLogger(__name__)


async def ensure_topics(bootstrap_servers: str, replication_factor: int = 1) -> list[str]:
    """Create every registered topic and its dead-letter twin if missing."""
    wanted = {spec.name: spec.partitions for spec in TOPICS}
    wanted |= {spec.dlq: 1 for spec in TOPICS if spec.has_dlq}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=replication_factor)
            for name, partitions in wanted.items()
            if name not in existing
        ]
        if missing:
            # Two starters may race; "already exists" from the loser is fine.
            await admin.create_topics(missing, validate_only=False)
            log.info("created topics %s", [t.name for t in missing])
        return [t.name for t in missing]
    finally:
        await admin.close()
