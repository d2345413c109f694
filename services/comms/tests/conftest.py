"""Fakes that subclass the real ports, the services built from them, and the sandboxes."""

from dataclasses import dataclass, field
from uuid import UUID

import pytest

from jobline_comms.domain.commands import Causation, Command
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.events import Event
from jobline_comms.domain.model import State, advances, states_before
from jobline_comms.domain.outcomes import Accepted, Outcome
from jobline_comms.domain.policy import Decision
from jobline_comms.domain.replies import OptChange
from jobline_comms.domain.senders import Senders
from jobline_comms.service_layer.handlers import Services
from jobline_comms.service_layer.ports import (
    Admission,
    Blobs,
    Due,
    EmailProvider,
    Incoming,
    Ledger,
    ProviderStatus,
    RateLimiter,
    SmsProvider,
    StatusCheck,
)


@dataclass
class Row:
    state: State = State.QUEUED
    attempts: int = 0
    lease: UUID | None = None
    decision: Decision | None = None


@dataclass
class FakeLedger(Ledger):
    rows: dict[UUID, Row] = field(default_factory=dict)
    opt_outs: dict[tuple[str, str], bool] = field(default_factory=dict)
    texted: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, sender, phone
    events: list[Event] = field(default_factory=list)
    lose_claims: bool = False

    async def accept(self, cmd: Command, sender: str, causation: Causation, incoming: Incoming):
        if cmd.delivery_id in self.rows:
            return Admission.KNOWN
        self.rows[cmd.delivery_id] = Row()
        return Admission.NEW

    async def pick_due(self, limit: int) -> list[Due]:
        return []

    async def claim(self, due: Due) -> int | None:
        row = self.rows.setdefault(due.delivery_id, Row())
        if self.lose_claims or row.state is not State.QUEUED:
            return None
        row.state, row.attempts = State.CLAIMED, row.attempts + 1
        return row.attempts

    async def settle(self, delivery_id: UUID, decision: Decision) -> bool:
        row = self.rows.setdefault(delivery_id, Row())
        allowed = (
            [State.CLAIMED] if decision.state is State.QUEUED else states_before(decision.state)
        )
        if row.state not in allowed:
            return False
        row.state, row.decision = decision.state, decision
        return True

    async def expire_claims(self) -> int:
        return 0

    async def report(self, delivery_id, provider_message_id, state, error_code) -> bool:
        row = self.rows.get(delivery_id) if delivery_id else None
        if row is None or not advances(row.state, state):
            return False
        row.state = state
        return True

    async def due_status_checks(self, after: float, give_up_after: float) -> list[StatusCheck]:
        return []

    async def is_opted_out(self, tenant_id: str, phone: str) -> bool:
        return self.opt_outs.get((tenant_id, phone), False)

    async def set_opt(self, tenant_id: str, phone: str, change: OptChange) -> bool:
        before = self.opt_outs.get((tenant_id, phone), False)
        self.opt_outs[tenant_id, phone] = change.opted_out
        return before != change.opted_out

    async def tenants_texting(self, sender: str, phone: str) -> list[str]:
        return sorted({t for t, s, p in self.texted if s == sender and p == phone})


@dataclass
class FakeSms(SmsProvider):
    outcomes: list[Outcome] = field(default_factory=list)
    calls: list[tuple[UUID, str, str, str]] = field(default_factory=list)
    statuses: dict[str, ProviderStatus] = field(default_factory=dict)  # sid → status now

    async def send(self, delivery_id: UUID, to: str, sender: str, body: str) -> Outcome:
        self.calls.append((delivery_id, to, sender, body))
        return self.outcomes.pop(0) if self.outcomes else Accepted("SM1")

    async def status(self, provider_message_id: str) -> ProviderStatus:
        return self.statuses.get(provider_message_id, ProviderStatus(None))


@dataclass
class FakeEmail(EmailProvider):
    outcomes: list[Outcome] = field(default_factory=list)
    sent: list[OutgoingEmail] = field(default_factory=list)

    async def send(self, email: OutgoingEmail) -> Outcome:
        self.sent.append(email)
        return self.outcomes.pop(0) if self.outcomes else Accepted(None)


@dataclass
class FakeBlobs(Blobs):
    files: dict[str, bytes] = field(default_factory=dict)

    async def get(self, key: str) -> bytes:
        if key not in self.files:
            raise FileNotFoundError(key)
        return self.files[key]


@dataclass
class FakeLimiter(RateLimiter):
    turns: list[str] = field(default_factory=list)

    async def wait_turn(self, sender: str) -> None:
        self.turns.append(sender)


@pytest.fixture
def ledger() -> Ledger:
    """An in-memory ledger; integration tests override it with the PostgreSQL one."""
    return FakeLedger()


@pytest.fixture
def services(ledger: Ledger) -> Services:
    return Services(
        ledger=ledger,
        sms=FakeSms(),
        email=FakeEmail(),
        blobs=FakeBlobs(),
        limiter=FakeLimiter(),
        senders=Senders(
            "+15005550000", "Jobline <no-reply@jobline.local>", {"acme": "+15005551111"}
        ),
        max_attempts=3,
        jitter=lambda: 0.5,
    )
