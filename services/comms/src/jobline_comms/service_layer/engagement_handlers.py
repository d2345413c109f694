"""An email's engagement (issue 20): its opens and deferrals, recorded beside its status.

Found as a status report finds its delivery (:meth:`Reports.find`); merged under the
row's lock, so two events of one delivery at once both count; published only when the
merge changed something, so a duplicate or an event out of order publishes nothing.
"""

from uuid import UUID

from jobline_comms.domain.engagement import DeliveryEngagementChanged, Engagement
from jobline_comms.domain.model import Channel
from jobline_comms.service_layer.handlers import Services


async def record_engagement(
    delivery_id: UUID | None, provider_message_id: str, news: Engagement, services: Services
) -> bool:
    """True if the email's engagement changed (and that was published)."""
    found = await services.reports.find(delivery_id, provider_message_id)
    if found is None or found.channel is not Channel.EMAIL:
        return False
    async with services.unit_of_work() as uow:
        known = await uow.engagements.locked(found.delivery_id)
        merged = known.merged(news)
        if merged == known:
            return False
        await uow.engagements.write(found.delivery_id, merged)
        changed = DeliveryEngagementChanged(found.delivery_id, found.communication_id, merged)
        uow.record(changed, found.causation)
        await uow.commit()
    return True
