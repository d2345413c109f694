"""Provision the comms topics (idempotent), from the contracts' topic registry."""

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from jobline_contracts.topics import COMMS_COMMANDS, COMMS_EVENTS

log = logging.getLogger(__name__)


async def ensure_topics(bootstrap_servers: str, replication_factor: int = 1) -> list[str]:
    """Create the comms topics and their dead-letter twins if missing."""
    specs = (COMMS_COMMANDS, COMMS_EVENTS)
    wanted = {spec.name: spec.partitions for spec in specs}
    wanted |= {spec.dlq: 1 for spec in specs if spec.has_dlq}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="jobline-comms")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(name=name, num_partitions=partitions, replication_factor=replication_factor)
            for name, partitions in wanted.items()
            if name not in existing
        ]
        if missing:
            # Another service or replica may have created them meanwhile: that is fine.
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(missing, validate_only=False)
            log.info("created topics %s", [t.name for t in missing])
        return [t.name for t in missing]
    finally:
        await admin.close()
