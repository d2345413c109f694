"""The CloudEvents names of Jobline's messages (Kafka protocol binding, binary mode).

Every message a Jobline service publishes carries, beside its envelope (the value),
the CloudEvents v1.0 attributes as ``ce_*`` headers and ``content-type``: see
``docs/contracts.md`` (CloudEvents headers). These are the names; the services write
the headers with the ``cloudevents`` SDK (``jobline_infra.cloud_events``).
"""

SPECVERSION = "1.0"
# Reverse DNS of jobline.dev, where the schemas' $ids live: ce_type stays unique on a
# broker (or an event router) shared with other producers' "job.created".
TYPE_PREFIX = "dev.jobline."
CONTENT_TYPE = "application/json"  # the envelope


def source(service: str) -> str:
    """``ce_source`` of a service's messages: ``/jobline/jobs``, ``/jobline/comms``, …"""
    return f"/jobline/{service}"


def event_type(message_type: str) -> str:
    """``ce_type`` of an envelope ``type``: ``job.created`` -> ``dev.jobline.job.created``."""
    return TYPE_PREFIX + message_type
