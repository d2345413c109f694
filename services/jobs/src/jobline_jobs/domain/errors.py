"""Why the domain refuses a command."""


class Rejected(Exception):
    """A command that cannot be applied to the current state.

    Rejections are business outcomes, not crashes: the fact is recorded on the job's
    timeline (when there is a job) and dead-lettered with ``reason``.
    """

    kind = "rejected"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImpossibleTransition(Rejected):
    """The job (or one of its visits) cannot move as the command asks."""

    kind = "impossible_transition"


class UnknownJob(Rejected):
    """The command names a job this tenant does not have."""

    kind = "unknown_job"


class UnknownTenant(Rejected):
    """The message names a tenant that is not provisioned."""

    kind = "unknown_tenant"


class Conflict(Rejected):
    """The command contradicts what is already recorded (e.g. a second job.dispatched)."""

    kind = "conflict"


class InvalidRequest(Rejected):
    """The command asks for something the rules never allow (e.g. shares over 100 %)."""

    kind = "invalid"


class ForeignReference(Rejected):
    """The message names a record that is not its tenant's (see ``foreign_references``)."""

    kind = "foreign_reference"
