"""Twilio's Message resource as JSON, shaped like the fields the SDK's MessageInstance reads."""

from email.utils import format_datetime
from typing import Any

from jobline_sandboxes.twilio_sandbox.segments import num_segments
from jobline_sandboxes.twilio_sandbox.state import ReceivedCreate

API_VERSION = "2010-04-01"


def message_resource(record: ReceivedCreate, account_sid: str) -> dict[str, Any]:
    """A freshly accepted message: `queued`, no error, dates in RFC 2822 like Twilio's."""
    created = format_datetime(record.received_at)
    uri = f"/{API_VERSION}/Accounts/{account_sid}/Messages/{record.sid}"
    return {
        "account_sid": account_sid,
        "api_version": API_VERSION,
        "body": record.body,
        "date_created": created,
        "date_sent": None,
        "date_updated": created,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": record.from_,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": str(num_segments(record.body)),
        "price": None,
        "price_unit": "USD",
        "sid": record.sid,
        "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        "to": record.to,
        "uri": f"{uri}.json",
    }
