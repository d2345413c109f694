"""What runs on the clock, as commands: communications whose send_at has come go to the
comms service; subjobs whose bill_on has come become billable."""

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

from jobline_jobs.domain import commands
from jobline_jobs.service_layer.messagebus import MessageBus
from jobline_jobs.service_layer.unit_of_work import Causation

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def _scheduler(command: commands.Command) -> Causation:
    message_id = uuid4()
    kind = f"scheduler.{type(command).__name__}"
    at = command.occurred_at  # the scheduler's clock: the time of the change
    return Causation("scheduler", message_id, kind, message_id, at, "scheduler", recorded_at=at)


async def release_due_communications(
    bus: MessageBus, clock: Clock = system_clock, limit: int = 100
) -> None:
    """Hand up to ``limit`` communications (of any tenant) whose send_at has come by
    ``clock()`` and that were not canceled to the comms service."""
    command = commands.ReleaseDueCommunications(commands.EVERY_TENANT, clock(), limit)
    await bus.execute(command, _scheduler(command))


async def release_due_subjobs(
    bus: MessageBus, clock: Clock = system_clock, limit: int = 100
) -> None:
    """Make up to ``limit`` subjobs (of any tenant) whose bill_on has come by ``clock()``,
    in each tenant's zone, billable."""
    command = commands.ReleaseDueSubjobs(commands.EVERY_TENANT, clock(), limit)
    await bus.execute(command, _scheduler(command))
