"""Provision a service's topics (idempotent), from the contracts' topic registry."""

import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from jobline_contracts.topics import TopicSpec, topic_configs, topic_partitions
from jobline_infra.kafka_security import PLAINTEXT, KafkaSecurity

log = logging.getLogger(__name__)


async def ensure_topics(
    bootstrap_servers: str,
    specs: Iterable[TopicSpec],
    *,
    client_id: str,
    replication_factor: int = 1,
    security: KafkaSecurity = PLAINTEXT,
) -> list[str]:
    """Create these topics and their dead-letter twins if missing, each with its settings
    (a compacted one with ``cleanup.policy=compact``); returns those created. A topic that
    exists is left as it is."""
    specs = tuple(specs)
    wanted = topic_partitions(specs)
    configs = {spec.name: topic_configs(spec) for spec in specs}
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id=client_id, **security.client_options()
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(
                name=name,
                num_partitions=partitions,
                replication_factor=replication_factor,
                topic_configs=configs.get(name, {}),
            )
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
