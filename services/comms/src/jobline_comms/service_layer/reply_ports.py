"""What the reply handlers need beyond the delivery ledger (issue 20)."""

import abc
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Fetched:
    """A text's media file as the provider served it: its bytes (the first ``limit`` + 1
    at most: enough to know it is too large), its declared type, its size if known."""

    content_type: str
    data: bytes
    size: int | None
    problem: str | None = None  # why it could not be fetched


class MediaFetcher(abc.ABC):
    @abc.abstractmethod
    async def fetch(self, url: str, limit: int) -> Fetched:
        """The media file at ``url`` (only the provider's own API is asked)."""


class ReplyFiles(abc.ABC):
    @abc.abstractmethod
    async def put(self, key: str, data: bytes) -> None:
        """Store a reply's file at ``key`` (the same bytes again are harmless)."""


class ReplyRouting(abc.ABC):
    @abc.abstractmethod
    async def latest_tenant_texting(
        self, sender: str, phone: str, among: frozenset[str] | None
    ) -> str | None:
        """The tenant (of ``among``, if given) that last texted ``phone`` from ``sender``."""


@dataclass(frozen=True)
class ReplyServices:
    media: MediaFetcher
    files: ReplyFiles
    routing: ReplyRouting
    # The address domain of ``reply+<tenant>@…``, and tenants' own reply addresses.
    reply_domain: str | None = None
    reply_addresses: Mapping[str, str] = field(default_factory=dict)
    max_file_bytes: int = 10 * 1024 * 1024  # the jobs API's upload limit

    def reply_address(self, tenant_id: str) -> str | None:
        """Where the tenant's customers' email replies should go, if replies come in."""
        if tenant_id in self.reply_addresses:
            return self.reply_addresses[tenant_id]
        return f"reply+{tenant_id}@{self.reply_domain}" if self.reply_domain else None
