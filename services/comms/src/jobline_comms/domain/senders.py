"""Which number or address each tenant sends from."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import formataddr, parseaddr

ANY_DOMAIN = "*"


@dataclass(frozen=True)
class Senders:
    default_sms: str
    default_email: str
    sms: Mapping[str, str] = field(default_factory=dict)
    email: Mapping[str, str] = field(default_factory=dict)
    # Domains this deployment may send From (its SPF/DKIM cover them); "*": any.
    sending_domains: frozenset[str] = frozenset()

    def sms_for(self, tenant_id: str) -> str:
        return self.sms.get(tenant_id, self.default_sms)

    def email_for(self, tenant_id: str) -> str:
        return self.email.get(tenant_id, self.default_email)

    def email_from(self, tenant_id: str, business: str | None, address: str | None) -> str:
        """The From of a business's email: its name, and its own ``address`` where this
        deployment may send for that domain, else the tenant's configured sender's address
        (replies still reach the business through Reply-To)."""
        configured_name, configured_address = parseaddr(self.email_for(tenant_id))
        name = business or configured_name
        if address and self.may_send_as(address):
            return formataddr((name, address))
        return formataddr((name, configured_address)) if name else configured_address

    def may_send_as(self, address: str) -> bool:
        domain = address.rpartition("@")[2].lower()
        return ANY_DOMAIN in self.sending_domains or domain in self.sending_domains

    def tenants_of_number(self, number: str) -> list[str]:
        """Tenants configured to text from ``number`` (the default number is shared)."""
        return sorted(t for t, n in self.sms.items() if n == number)
