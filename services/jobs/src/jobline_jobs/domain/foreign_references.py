"""An id in an event is only as trustworthy as whoever wrote the event: Kafka is not a
trust boundary, and a message's ``tenant_id`` is its producer's word. So an event from
comms or invoicing may name only records of its own tenant: a delivery status only the
tenant's delivery, a render outcome only a render the tenant asked for.

Each is looked up by (tenant, id), the lookup the event needed anyway, so checking costs
no query. A miss is refused as ``foreign_reference`` whether the record is another
tenant's or nobody's: only the jobs service writes ``comms.commands.v1`` and
``invoicing.commands.v1``, each after it committed the delivery or render request, so an
honest event always finds its record. The reason names the rule and the id, never whose
record it is, if anyone's."""

from uuid import UUID

from jobline_jobs.domain.errors import ForeignReference

RULE = "an event may name only its own tenant's records"


def foreign_delivery(delivery_id: UUID) -> ForeignReference:
    """A delivery status naming a delivery the tenant does not have."""
    return ForeignReference(f"{RULE}: delivery {delivery_id} is not this tenant's")


def foreign_render(job_id: UUID, snapshot_sha256: str) -> ForeignReference:
    """A render outcome for a render the tenant never asked for."""
    return ForeignReference(
        f"{RULE}: this tenant asked for no render of snapshot {snapshot_sha256} of job {job_id}"
    )
