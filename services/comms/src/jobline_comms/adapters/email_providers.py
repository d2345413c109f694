"""The email provider of each tenant: the deployment's choice, or a tenant's own."""

from collections.abc import Mapping

from jobline_comms.domain.email import OutgoingEmail
from jobline_comms.domain.outcomes import Outcome
from jobline_comms.service_layer.ports import EmailProvider, ProviderStatus


class EmailProviders(EmailProvider):
    """Hands each email to the provider named for its tenant, else the default one."""

    def __init__(
        self,
        providers: Mapping[str, EmailProvider],
        default: str,
        by_tenant: Mapping[str, str] | None = None,
    ) -> None:
        unknown = {default, *(by_tenant or {}).values()} - set(providers)
        if unknown:
            raise ValueError(f"no email provider named {', '.join(sorted(unknown))}")
        self._providers, self._default = dict(providers), default
        self._by_tenant = dict(by_tenant or {})

    def name_for(self, tenant_id: str) -> str:
        return self._by_tenant.get(tenant_id, self._default)

    async def send(self, email: OutgoingEmail) -> Outcome:
        return await self._providers[self.name_for(email.tenant_id)].send(email)

    async def status(self, provider_message_id: str) -> ProviderStatus:
        """Only SendGrid can say (the status checks ask only about its messages)."""
        sendgrid = self._providers.get("sendgrid")
        if sendgrid is None:
            return ProviderStatus(None)
        return await sendgrid.status(provider_message_id)
