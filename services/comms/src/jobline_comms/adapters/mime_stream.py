"""An email's MIME bytes as a stream of small chunks, attachments base64-encoded a slice
at a time.

Built whole, a 15 MiB attachment was held four times over: the file, its base64 text in
the ``EmailMessage``, the flattened message, and aiosmtplib's copies of that (line
endings, dot-stuffing, the terminator). Here the standard library builds the message
with a short marker where each attachment's body goes, so its headers, encodings and
boundaries are the library's own; that small skeleton is flattened, and its pieces are
sent with each attachment's base64 lines streamed in between. Only the file itself stays
whole (its size and sha256 were checked before sending).
"""

import base64
import email.policy
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from jobline_comms.domain.email import File, OutgoingEmail

# Whole 76-character base64 lines (57 bytes each): about 64 KiB of the file per chunk.
CHUNK_BYTES = 57 * 1152
_LINE_START_PERIOD = re.compile(rb"(?m)^\.")  # DATA's dot-stuffing (RFC 5321 4.5.2)


@dataclass(frozen=True)
class Streamed:
    """The message as SMTP DATA carries it, in order: skeleton pieces and, between
    them, the attachments' bodies."""

    pieces: tuple[bytes, ...]  # len(files) + 1, dot-stuffed, CRLF line endings
    files: tuple[File, ...]

    def chunks(self) -> Iterator[bytes]:
        """The DATA content (without the final ``.`` line), a chunk at a time."""
        for piece, file in zip(self.pieces, self.files, strict=False):
            yield piece
            yield from base64_lines(file.data)
        yield self.pieces[-1]


def base64_lines(data: bytes) -> Iterator[bytes]:
    """``data`` as CRLF-ended base64 lines, ``CHUNK_BYTES`` of it at a time. Base64 has
    no ``.``, so its lines need no dot-stuffing."""
    view = memoryview(data)
    for start in range(0, len(view), CHUNK_BYTES):
        yield base64.encodebytes(view[start : start + CHUNK_BYTES]).replace(b"\n", b"\r\n")


def build_skeleton(email_: OutgoingEmail, domain: str) -> tuple[EmailMessage, list[str]]:
    """The message with a marker as each attachment's body, and the markers in order.
    Raises ValueError/TypeError if a header cannot be built (e.g. a line break in it).
    Its Message-ID is derived from the delivery id, so a copy in any mailbox traces back
    to exactly one delivery."""
    message = EmailMessage()
    message["From"] = email_.sender
    if email_.reply_to:
        message["Reply-To"] = email_.reply_to
    message["To"] = formataddr((email_.to_name, email_.to)) if email_.to_name else email_.to
    message["Subject"] = email_.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = f"<{email_.delivery_id}@{domain}>"
    message.set_content(email_.body_text)
    for file in email_.attachments:
        maintype, _, subtype = file.content_type.partition("/")
        message.add_attachment(
            b"",
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=file.filename,
        )
    markers = [f"jobline-attachment-{uuid.uuid4().hex}" for _ in email_.attachments]
    parts = list(message.iter_attachments())
    if len(parts) != len(markers):
        raise ValueError("an attachment was not taken as one")
    for part, marker in zip(parts, markers, strict=True):
        part.set_payload(marker)  # its Content-Transfer-Encoding stays base64
    return message, markers


def streamed(email_: OutgoingEmail, *, utf8: bool, cte_type: str, domain: str) -> Streamed:
    """``email_`` ready to stream, flattened by the policy aiosmtplib would use for the
    server's extensions (SMTPUTF8, 8BITMIME)."""
    message, markers = build_skeleton(email_, domain)
    policy = (email.policy.SMTPUTF8 if utf8 else email.policy.SMTP).clone(cte_type=cte_type)
    flat = message.as_bytes(policy=policy)
    pieces = []
    for marker in markers:
        head, found, flat = flat.partition(marker.encode())
        if not found:
            raise ValueError("an attachment's place was lost in the message")
        pieces.append(head)
    pieces.append(flat if flat.endswith(b"\r\n") else flat + b"\r\n")
    # Each piece after the first starts mid-line (right after a marker), so ``^`` only
    # ever matches a real line start.
    stuffed = tuple(_LINE_START_PERIOD.sub(b"..", piece) for piece in pieces)
    return Streamed(stuffed, email_.attachments)
