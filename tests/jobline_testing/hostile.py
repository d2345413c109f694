"""Hostile HTTP clients: bodies far larger than any route takes, sent as an attacker would
(declared up front, or chunked with no length), on a raw socket so nothing buffers them."""

import asyncio
import contextlib
from urllib.parse import urlsplit

CHUNK = b"x" * (1024 * 1024)


async def post_huge(url: str, path: str, size: int, *, chunked: bool = False) -> int:
    """POST ``size`` bytes of body to ``path`` without credentials; the answer's status.

    The body is written until the server answers, as a client that reads while it sends
    would: a server that reads it all before answering gets all of it. A server that
    answers early and then closes may reset the connection under a write; the answer
    was read as it arrived, so the reset ends the sending, not the test."""
    target = urlsplit(url)
    reader, writer = await asyncio.open_connection(target.hostname, target.port)
    framing = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}".encode()
    writer.write(
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + target.netloc.encode()
        + b"\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n"
    )  # fmt: skip
    status_line = asyncio.ensure_future(reader.readline())
    # The server may answer and close while we send; the answer is read already.
    with contextlib.suppress(ConnectionResetError, BrokenPipeError):
        await _send_body(writer, size, chunked=chunked, until=status_line)
    try:
        line = await asyncio.wait_for(status_line, 30)
    finally:
        writer.close()
    assert line, "the server closed the connection without answering"
    return int(line.split()[1])


async def _send_body(
    writer: asyncio.StreamWriter, size: int, *, chunked: bool, until: asyncio.Future
) -> None:
    sent = 0
    while sent < size and not until.done():
        piece = CHUNK[: size - sent]
        writer.write(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
        await writer.drain()
        sent += len(piece)
    if chunked and not until.done():
        writer.write(b"0\r\n\r\n")
        await writer.drain()
