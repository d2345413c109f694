"""Every kind of dead letter (header ``x-dlq-kind``) a Jobline consumer writes, and what it
means.

One registry: docs/asyncapi.yaml lists these kinds (generated from here), the codec and the
consumer edges name their kinds from here, and tests check that every kind the code can
write is here, the jobs domain's refusals included (its pure domain cannot import this, so
a test walks its ``Rejected`` classes).
"""

from enum import StrEnum


class DlqKind(StrEnum):
    """The value of ``x-dlq-kind``."""

    # The codec: the bytes are no message of the topic.
    NOT_JSON = "not_json"
    BAD_ENVELOPE = "bad_envelope"
    UNKNOWN_TYPE = "unknown_type"
    UNSUPPORTED_VERSION = "unsupported_version"
    BAD_PAYLOAD = "bad_payload"
    # Tenancy: a message naming what is not its tenant's.
    FOREIGN_BLOB_KEY = "foreign_blob_key"
    FOREIGN_REFERENCE = "foreign_reference"
    # Giving up after retries.
    HANDLER_ERROR = "handler_error"
    RETRIES_EXHAUSTED = "retries_exhausted"
    # The jobs service's refusals of a fact (domain/errors.py and its subclasses).
    REJECTED = "rejected"
    IMPOSSIBLE_TRANSITION = "impossible_transition"
    UNKNOWN_JOB = "unknown_job"
    UNKNOWN_TENANT = "unknown_tenant"
    UNKNOWN_TECHNICIAN = "unknown_technician"
    CONFLICT = "conflict"
    INVALID = "invalid"
    INVALID_SETTING = "invalid_setting"
    UNKNOWN_TEMPLATE = "unknown_template"
    UNKNOWN_MERGE_FIELD = "unknown_merge_field"


MEANING: dict[DlqKind, str] = {
    DlqKind.NOT_JSON: "the value is not JSON",
    DlqKind.BAD_ENVELOPE: "the envelope lacks a field or has an invalid one",
    DlqKind.UNKNOWN_TYPE: "the topic carries no message of that type",
    DlqKind.UNSUPPORTED_VERSION: "schema_version is newer than the consumer reads",
    DlqKind.BAD_PAYLOAD: "the payload does not validate against its type's schema",
    DlqKind.FOREIGN_BLOB_KEY: "a blob key not under the message's tenant",
    DlqKind.FOREIGN_REFERENCE: "an id its tenant does not have: a send command reusing"
    " another tenant's delivery id, a delivery status or render outcome naming a delivery"
    " or render request not of its tenant",
    DlqKind.HANDLER_ERROR: "the handler kept failing after its retries",
    DlqKind.RETRIES_EXHAUSTED: "comms gave up on a delivery after its retries; its ledger"
    " refuses a second provider call, so a replay never sends twice",
    DlqKind.REJECTED: "the jobs service refused the fact (recorded on the job's timeline)",
    DlqKind.IMPOSSIBLE_TRANSITION: "the job or its visit cannot move as the fact says",
    DlqKind.UNKNOWN_JOB: "the fact names a job the tenant does not have (yet)",
    DlqKind.UNKNOWN_TENANT: "the message names a tenant that is not provisioned",
    DlqKind.UNKNOWN_TECHNICIAN: "the fact names a technician the tenant does not have",
    DlqKind.CONFLICT: "the fact contradicts what is recorded, e.g. a second job.dispatched",
    DlqKind.INVALID: "the fact asks for what the rules never allow",
    DlqKind.INVALID_SETTING: "a tenant setting breaks its rule",
    DlqKind.UNKNOWN_TEMPLATE: "a message template the tenant does not have",
    DlqKind.UNKNOWN_MERGE_FIELD: "a template or message names a merge field that does not exist",
}

# The jobs consumer claims these messages as handled (outcome 'rejected'): replaying one
# unchanged is a no-op by design; replay it with a fresh message id once the cause is fixed.
JOBS_REFUSALS = frozenset(
    {
        DlqKind.REJECTED,
        DlqKind.IMPOSSIBLE_TRANSITION,
        DlqKind.UNKNOWN_JOB,
        DlqKind.UNKNOWN_TENANT,
        DlqKind.UNKNOWN_TECHNICIAN,
        DlqKind.CONFLICT,
        DlqKind.INVALID,
        DlqKind.INVALID_SETTING,
        DlqKind.UNKNOWN_TEMPLATE,
        DlqKind.UNKNOWN_MERGE_FIELD,
        DlqKind.FOREIGN_REFERENCE,  # also comms': replaying one of those is pointless anyway
    }
)
