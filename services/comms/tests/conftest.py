"""Fakes that subclass the real ports, the services built from them, and the sandboxes."""

import uuid
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Self
from uuid import UUID

import pytest

from jobline_comms.domain.commands import Causation, Command, channel_of
from jobline_comms.domain.delivery import Delivery
from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.engagement import Engagement
from jobline_comms.domain.events import Event
from jobline_comms.domain.outcomes import Accepted, Outcome
from jobline_comms.domain.replies import OptChange
from jobline_comms.domain.senders import Senders
from jobline_comms.service_layer.handlers import Services
from jobline_comms.service_layer.ports import (
    Acceptance,
    Admission,
    Attempts,
    Blobs,
    EmailProvider,
    OptOuts,
    Picked,
    ProviderStatus,
    RateLimiter,
    Reports,
    SmsProvider,
    StatusCheck,
)
from jobline_comms.service_layer.unit_of_work import (
    Changes,
    Deliveries,
    Engagements,
    Intake,
    OptOutBook,
    UnitOfWork,
)


def new_delivery(cmd: Command, causation: Causation | None = None) -> Delivery:
    """The delivery intake makes of ``cmd``: queued, due now."""
    causation = causation or Causation(cmd.tenant_id, uuid.uuid4(), uuid.uuid4())
    channel = channel_of(cmd)
    return Delivery(cmd.delivery_id, cmd.communication_id, cmd.tenant_id, channel, causation)


@dataclass
class Store:
    """What the fakes share: the stored deliveries (copies), opt-outs and events."""

    deliveries: dict[UUID, Delivery] = field(default_factory=dict)
    opt_outs: dict[tuple[str, str], bool] = field(default_factory=dict)
    texted: list[tuple[str, str, str]] = field(default_factory=list)  # tenant, sender, phone
    messages: set[UUID] = field(default_factory=set)  # deduplication records
    replies: set[str] = field(default_factory=set)  # inbound message ids
    events: list[Event] = field(default_factory=list)
    engagements: dict[UUID, Engagement] = field(default_factory=dict)  # issue 20
    lose_claims: bool = False

    def write(self, delivery: Delivery) -> bool:
        """As the real unit of work: only over a stored status the change may follow."""
        stored = self.deliveries.get(delivery.delivery_id)
        if delivery.changed and (stored is None or stored.status not in delivery.overwrites()):
            return False
        self.events.extend(delivery.events)
        delivery.stored()
        self.deliveries[delivery.delivery_id] = replace(delivery, events=[])
        return True

    def pick(self, cmd: Command) -> Picked:
        """The delivery of ``cmd`` (queued now if new) as a pick would lease it."""
        stored = self.deliveries.get(cmd.delivery_id)
        if stored is None:
            stored = new_delivery(cmd)
            self.deliveries[cmd.delivery_id] = stored
        return Picked(replace(stored, events=[], lease=uuid.uuid4()), cmd)


@dataclass
class FakeAttempts(Attempts):
    store: Store

    async def pick_due(self, limit: int) -> list[Picked]:
        return []

    async def claim(self, delivery: Delivery) -> bool:
        return not self.store.lose_claims and self.store.write(delivery)


@dataclass
class FakeChanges(Changes):
    store: Store

    async def save(self, delivery: Delivery) -> bool:
        return self.store.write(delivery)


@dataclass
class FakeReports(Reports):
    store: Store

    async def find(self, delivery_id: UUID | None, provider_message_id: str) -> Delivery | None:
        for stored in self.store.deliveries.values():
            if stored.delivery_id == delivery_id or (
                delivery_id is None and stored.provider_message_id == provider_message_id
            ):
                return replace(stored, events=[])
        return None

    async def due_status_checks(self, after: float, give_up_after: float) -> list[StatusCheck]:
        return []


@dataclass
class FakeOptOuts(OptOuts, OptOutBook):
    store: Store

    async def is_opted_out(self, tenant_id: str, phone: str) -> bool:
        return self.store.opt_outs.get((tenant_id, phone), False)

    async def tenants_texting(self, sender: str, phone: str) -> list[str]:
        return sorted({t for t, s, p in self.store.texted if s == sender and p == phone})

    async def change(self, tenant_id: str, phone: str, change: OptChange) -> bool:
        before = self.store.opt_outs.get((tenant_id, phone), False)
        self.store.opt_outs[tenant_id, phone] = change.opted_out
        return before != change.opted_out

    async def first_reply(self, message_sid: str) -> bool:
        first = message_sid not in self.store.replies
        self.store.replies.add(message_sid)
        return first


@dataclass
class FakeIntake(Intake, Deliveries):
    store: Store

    async def add(self, batch: list[Acceptance]) -> list[Admission]:
        answers = []
        for a in batch:
            if a.causation.message_id in self.store.messages:
                answers.append(Admission.DUPLICATE)
                continue
            self.store.messages.add(a.causation.message_id)  # type: ignore[arg-type]
            if a.cmd.delivery_id in self.store.deliveries:
                answers.append(Admission.KNOWN)
                continue
            self.store.deliveries[a.cmd.delivery_id] = new_delivery(a.cmd, a.causation)
            answers.append(Admission.NEW)
        return answers

    async def known(self, delivery_ids) -> dict[UUID, Delivery]:
        stored = self.store.deliveries
        return {i: replace(stored[i], events=[]) for i in delivery_ids}

    async def forget(self, message_ids) -> None:
        self.store.messages.difference_update(message_ids)

    async def expired_claims(self) -> list[Delivery]:
        return []


@dataclass
class FakeEngagements(Engagements):
    """Written at once (these tests commit every unit of work they begin)."""

    store: Store

    async def locked(self, delivery_id: UUID) -> Engagement:
        return self.store.engagements.get(delivery_id, Engagement())

    async def write(self, delivery_id: UUID, engagement: Engagement) -> None:
        self.store.engagements[delivery_id] = engagement


@dataclass
class FakeUnitOfWork(UnitOfWork):
    """Writes at commit, all or nothing as far as these tests look."""

    store: Store
    saved: list[Delivery] = field(default_factory=list)
    recorded: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.intake = FakeIntake(self.store)
        self.deliveries = self.intake
        self.opt_outs = FakeOptOuts(self.store)
        self.engagements = FakeEngagements(self.store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    def save(self, delivery: Delivery) -> None:
        self.saved.append(delivery)

    def record(self, event: Event, causation: Causation) -> None:
        self.recorded.append(event)

    async def commit(self) -> None:
        for delivery in self.saved:
            self.store.write(delivery)
        self.store.events.extend(self.recorded)


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
def store() -> Store:
    return Store()


@pytest.fixture
def services(store: Store) -> Services:
    """The handlers on fakes; integration tests override it with the PostgreSQL adapters."""
    return Services(
        unit_of_work=lambda: FakeUnitOfWork(store),
        changes=FakeChanges(store),
        attempts=FakeAttempts(store),
        reports=FakeReports(store),
        opt_outs=FakeOptOuts(store),
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
