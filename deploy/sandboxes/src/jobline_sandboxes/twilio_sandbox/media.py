"""MMS media for inbound texts (issue 20): a test stores a file (`POST /sandbox/media`)
and puts the URL it gets in the inbound webhook it signs, as Twilio puts a `MediaUrlN`;
the receiver then fetches the file as from Twilio, with the account's credentials."""

import uuid
from dataclasses import dataclass, field

MAX_MEDIA_BYTES = 20 * 1024 * 1024  # a test's file; larger ones are refused (413)


@dataclass
class MediaStore:
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # ME sid → type, bytes

    def add(self, content_type: str, data: bytes) -> tuple[str, str]:
        """Keep the file; its message and media sids (for the media URL)."""
        media_sid = "ME" + uuid.uuid4().hex
        self.files[media_sid] = (content_type, data)
        return "MM" + uuid.uuid4().hex, media_sid
