"""Which number or address each tenant sends from."""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Senders:
    default_sms: str
    default_email: str
    sms: Mapping[str, str] = field(default_factory=dict)
    email: Mapping[str, str] = field(default_factory=dict)

    def sms_for(self, tenant_id: str) -> str:
        return self.sms.get(tenant_id, self.default_sms)

    def email_for(self, tenant_id: str) -> str:
        return self.email.get(tenant_id, self.default_email)

    def tenants_of_number(self, number: str) -> list[str]:
        """Tenants configured to text from ``number`` (the default number is shared)."""
        return sorted(t for t, n in self.sms.items() if n == number)
