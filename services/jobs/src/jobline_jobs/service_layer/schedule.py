"""The schedule of communications: releasing those whose time has come, as a command."""

from datetime import UTC, datetime
from uuid import uuid4

from jobline_jobs.domain import commands
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation


async def release_due_communications(bus: MessageBus, limit: int = 100) -> None:
    """Hand up to ``limit`` due communications (of any tenant) to the comms service."""
    at, message_id = datetime.now(UTC), uuid4()
    command = commands.ReleaseDueCommunications(commands.EVERY_TENANT, at, limit)
    why = Causation(
        "scheduler", message_id, "scheduler.ReleaseDueCommunications", message_id, at, "scheduler"
    )
    await bus.execute(command, why)
