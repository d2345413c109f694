"""Fact sequences that bring a job to a workflow step through the running jobs service."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

from jobline_contracts.topics import DISPATCH_EVENTS, JOBS_LIFECYCLE
from jobline_testing.kafka import FactPublisher, TopicWatcher
from jobline_testing.stories import NOW, JobStory


async def billable_job(
    publisher: FactPublisher, watch: Callable[[str], Awaitable[TopicWatcher]], tenant: str
) -> JobStory:
    """A job with its customer, property and technician, worked and quality-checked
    yesterday: awaiting billing once the jobs service has said so on the lifecycle."""
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    story = JobStory(tenant)
    for payload in (story.customer(), story.property(), story.technician()):
        await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), story.key)
    for payload in (
        story.dispatched(NOW - timedelta(days=1)),
        story.started(),
        story.work_completed(),
        story.quality_checked(),
    ):
        await publisher.publish(DISPATCH_EVENTS.name, story.envelope(payload), story.key)
    await lifecycle.wait_for(
        lambda s: s.key == story.key.encode() and b'"awaiting_billing"' in s.value
    )
    return story


async def invoiced_job(
    publisher: FactPublisher, watch: Callable[[str], Awaitable[TopicWatcher]], tenant: str
) -> JobStory:
    """A billable job whose invoice upstream issued (``job.invoiced``): it has an invoice
    once the jobs service has published ``invoice.issued``."""
    story = await billable_job(publisher, watch, tenant)
    lifecycle = await watch(JOBS_LIFECYCLE.name)
    await publisher.publish(DISPATCH_EVENTS.name, story.envelope(story.invoiced()), story.key)
    await lifecycle.wait_for(lambda s: s.key == story.key.encode() and b"invoice.issued" in s.value)
    return story
