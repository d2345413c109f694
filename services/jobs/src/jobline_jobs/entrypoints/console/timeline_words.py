"""A timeline entry in words: what happened, and the few details worth reading."""

from typing import Any

LABELS = {
    "job.communication_requested": "Message requested",
    "job.invoice_sent": "Invoice emailed",
    "invoice.sent": "Invoice emailed",
    "job.status_changed": "Step changed",
    "job.dispatch_status_changed": "Visit status changed",
    "job.dispatch_assigned": "Visit scheduled",
    "subjob.became_billable": "Subjob became billable",
    "commission.entry_recorded": "Commission entry recorded",
}
SKIPPED = {"schema_version", "tenant_id", "job_number", "traceparent", "snapshot_sha256"}
MAX_DETAILS = 240


def what(entry: dict[str, Any]) -> str:
    """``job.document_added`` → "Document added"; an email request says it is an email."""
    kind, details = entry["type"], entry["details"]
    if kind == "communication.requested":
        return "Email requested" if details.get("channel") == "email" else "Text requested"
    if kind == "delivery.status_changed":
        channel = "Email" if details.get("channel") == "email" else "Text"
        return f"{channel} {details.get('status', 'updated')}"
    if kind in LABELS:
        return LABELS[kind]
    words = kind.removeprefix("job.").replace(".", " ").replace("_", " ")
    label = words[:1].upper() + words[1:]
    return f"Refused: {label}" if entry["kind"] == "rejected" else label


def _shown(value: Any) -> str | None:  # noqa: ANN401 - any JSON value
    if value is None or value == "" or isinstance(value, dict):
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value if not isinstance(v, dict)) or f"{len(value)}"
    return str(value)


def details(entry: dict[str, Any]) -> str:
    """The entry's details as ``name: value`` pairs, ids and envelopes left out."""
    pairs = []
    for key, value in entry["details"].items():
        shown = _shown(value)
        if shown is None or key in SKIPPED or key.endswith("_id") or key.endswith("_ids"):
            continue
        pairs.append(f"{key.replace('_', ' ')}: {shown}")
    text = "; ".join(pairs)
    return text if len(text) <= MAX_DETAILS else text[: MAX_DETAILS - 1] + "…"
