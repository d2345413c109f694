"""The streamed MIME message: what a server reassembles is the email whole, with each
attachment byte-identical, though no chunk holds more than a slice of a file."""

import email
import email.policy
import os
import re
import uuid

import pytest

from jobline_comms.adapters.mime_stream import CHUNK_BYTES, streamed
from jobline_comms.domain.email import File, OutgoingEmail

pytestmark = pytest.mark.unit


def received(chunks: list[bytes]) -> email.message.EmailMessage:
    """What an SMTP server keeps of DATA: dot-stuffing undone."""
    data = re.sub(rb"(?m)^\.\.", b".", b"".join(chunks))
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def test_attachments_arrive_whole_in_chunks_of_a_slice_each():
    big, small = os.urandom(3 * CHUNK_BYTES + 11), b"%PDF tiny"
    outgoing = OutgoingEmail(
        uuid.uuid4(),
        "Acme <billing@acme.test>",
        "dana@example.com",
        "Dana Whitfield",
        "Your photos",
        "Hi Dana,\n.\n..a line that starts with a dot\nBye",
        (File("photo.jpg", "image/jpeg", big), File("INV-1.pdf", "application/pdf", small)),
    )
    chunks = list(streamed(outgoing, utf8=False, cte_type="8bit", domain="jobline.local").chunks())
    assert max(len(chunk) for chunk in chunks) < 2 * CHUNK_BYTES  # base64 and CRLFs included
    assert all(b"\r\n" in chunk for chunk in chunks)
    assert not any(re.search(rb"(?<!\r)\n", chunk) for chunk in chunks)  # CRLF only
    message = received(chunks)
    assert message["Message-ID"] == f"<{outgoing.delivery_id}@jobline.local>"
    assert message["To"] == "Dana Whitfield <dana@example.com>"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().splitlines()[1:3] == [".", "..a line that starts with a dot"]
    attached = {p.get_filename(): p.get_content() for p in message.iter_attachments()}
    assert attached == {"photo.jpg": big, "INV-1.pdf": small}


def test_an_email_without_attachments_is_its_text():
    outgoing = OutgoingEmail(uuid.uuid4(), "a@b.test", "c@d.test", None, "Hi", "Just text", ())
    message = received(list(streamed(outgoing, utf8=False, cte_type="7bit", domain="x").chunks()))
    assert message.get_content().strip() == "Just text"
    assert list(message.iter_attachments()) == []
