"""The topic registry: names, owners, keys and the messages each topic carries.

Topic names are part of the public interface. Every consumed topic has a dead-letter
twin ``<topic>.dlq`` that holds poison messages with the reason in headers.
"""

from dataclasses import dataclass

from jobline_contracts.comms import ALL_COMMS_COMMANDS, ALL_COMMS_EVENTS
from jobline_contracts.envelope import Payload
from jobline_contracts.facts import ALL_FACTS
from jobline_contracts.invoicing import ALL_INVOICING_COMMANDS, ALL_INVOICING_EVENTS
from jobline_contracts.lifecycle import ALL_LIFECYCLE_EVENTS
from jobline_contracts.state import ALL_STATE_MESSAGES

DLQ_SUFFIX = ".dlq"
# Dead letters are few, and an operator reads and replays them one by one, in order: one
# partition each (the k8s topics Job and compose create the same; tests keep them equal).
DLQ_PARTITIONS = 1


@dataclass(frozen=True)
class TopicSpec:
    """One Kafka topic as documented in ARCHITECTURE.md."""

    name: str
    producer: str
    consumers: tuple[str, ...]
    key: str
    description: str
    messages: tuple[type[Payload], ...]
    partitions: int = 6
    has_dlq: bool = True
    # Compacted: Kafka keeps each key's newest value (``cleanup.policy=compact``), a null
    # value (a tombstone) removes the key.
    compacted: bool = False

    @property
    def dlq(self) -> str:
        """The dead-letter topic of this topic."""
        return self.name + DLQ_SUFFIX

    def message(self, message_type: str) -> type[Payload] | None:
        """The payload model for ``message_type`` on this topic, if it carries it."""
        return next((m for m in self.messages if m.message_type == message_type), None)


DISPATCH_EVENTS = TopicSpec(
    name="dispatch.events.v1",
    producer="upstream dispatch systems",
    consumers=("jobs",),
    key="job id (or the entity id for customer, property and technician upserts)",
    description="Facts from the field.",
    messages=ALL_FACTS,
)
JOBS_LIFECYCLE = TopicSpec(
    name="jobs.lifecycle.v1",
    producer="jobs (outbox)",
    consumers=("other teams", "console"),
    key="job id",
    description="Job lifecycle events, in commit order per job.",
    messages=ALL_LIFECYCLE_EVENTS,
    has_dlq=False,  # consumed by other teams, who keep their own dead letters
)
COMMS_COMMANDS = TopicSpec(
    name="comms.commands.v1",
    producer="jobs (outbox)",
    consumers=("comms workers",),
    key="delivery id",
    description="Send one SMS or one email.",
    messages=ALL_COMMS_COMMANDS,
    partitions=12,
)
COMMS_EVENTS = TopicSpec(
    name="comms.events.v1",
    producer="comms",
    consumers=("jobs",),
    key="delivery id (phone number for opt-out and opt-in, reply id for a reply)",
    description="Delivery status changes, inbound STOP/START and customers' replies.",
    messages=ALL_COMMS_EVENTS,
)
INVOICING_COMMANDS = TopicSpec(
    name="invoicing.commands.v1",
    producer="jobs (outbox)",
    consumers=("invoicing",),
    key="job id",
    description="Render an invoice from a self-contained snapshot.",
    messages=ALL_INVOICING_COMMANDS,
)
INVOICING_EVENTS = TopicSpec(
    name="invoicing.events.v1",
    producer="invoicing",
    consumers=("jobs",),
    key="job id",
    description="Invoice rendered (blob key, sha256, pages) or failed.",
    messages=ALL_INVOICING_EVENTS,
)
# issue 19: the current job, for consumers that keep a view of jobs
JOBS_STATE = TopicSpec(
    name="jobs.state.v1",
    producer="jobs (outbox)",
    consumers=("other teams",),
    key="job id",
    description="The whole job after each change (as the API's job detail shows it);"
    " compacted to the newest snapshot per job. A null value (tombstone) removes a job:"
    " Jobline writes none today, as no job or tenant is ever deleted.",
    messages=ALL_STATE_MESSAGES,
    has_dlq=False,  # consumed by other teams, who keep their own dead letters
    compacted=True,
)

TOPICS: tuple[TopicSpec, ...] = (
    DISPATCH_EVENTS,
    JOBS_LIFECYCLE,
    COMMS_COMMANDS,
    COMMS_EVENTS,
    INVOICING_COMMANDS,
    INVOICING_EVENTS,
    JOBS_STATE,
)


def all_topic_names() -> list[str]:
    """Every topic Jobline uses, dead-letter topics included, for provisioning."""
    names = [t.name for t in TOPICS]
    return names + [t.dlq for t in TOPICS if t.has_dlq]


def topic_partitions(specs: tuple[TopicSpec, ...] = TOPICS) -> dict[str, int]:
    """Every topic of ``specs`` and its dead-letter twin, with its partition count: what
    provisioning creates and docs/asyncapi.yaml documents."""
    counts = {spec.name: spec.partitions for spec in specs}
    return counts | {spec.dlq: DLQ_PARTITIONS for spec in specs if spec.has_dlq}


def topic_configs(spec: TopicSpec) -> dict[str, str]:
    """The topic-level settings provisioning creates ``spec`` with (its DLQ takes none)."""
    return {"cleanup.policy": "compact"} if spec.compacted else {}


def topic(name: str) -> TopicSpec:
    """Look a topic up by name."""
    for spec in TOPICS:
        if spec.name == name:
            return spec
    raise KeyError(f"unknown topic {name!r}")
