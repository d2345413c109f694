"""Hostile HTTP clients: bodies far larger than any route takes, sent as an attacker would
(declared up front, or chunked with no length), on a raw socket so nothing buffers them."""

import asyncio
import contextlib
import select
import socket
from urllib.parse import urlsplit

CHUNK = b"x" * (1024 * 1024)


async def post_huge(
    url: str,
    path: str,
    size: int,
    *,
    chunked: bool = False,
    headers: dict[str, str] | None = None,
    prefix: bytes = b"",
) -> int:
    """POST ``size`` bytes of body to ``path`` (without credentials unless ``headers`` has
    them; the body is ``prefix``, then filler); the answer's status.

    The body is written until the server answers, as a client that reads while it sends
    would: a server that reads it all before answering gets all of it. A server that
    answers early and then closes may reset the connection under a write; the answer
    came before the reset and is still queued on the socket, so it is read after the
    reset. (asyncio's streams drop it: a failed write closes the transport unread.)"""
    target = urlsplit(url)
    fields = {"Content-Type": "application/json", **(headers or {})}
    fields["Host"] = target.netloc
    if chunked:
        fields["Transfer-Encoding"] = "chunked"
    else:
        fields["Content-Length"] = str(size)
    lines = [f"POST {path} HTTP/1.1", *(f"{name}: {value}" for name, value in fields.items())]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    address = (target.hostname or "127.0.0.1", target.port or 80)
    return await asyncio.to_thread(_post, address, head, prefix, size, chunked=chunked)


def _post(address: tuple[str, int], head: bytes, prefix: bytes, size: int, *, chunked: bool) -> int:
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(head)
        # The server may answer and close while we send; its answer is read below.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            _send_body(sock, prefix, size, chunked=chunked)
        line = _status_line(sock)
    assert line, "the server closed the connection without answering"
    return int(line.split()[1])


def _send_body(sock: socket.socket, prefix: bytes, size: int, *, chunked: bool) -> None:
    sent = 0
    while sent < size and not _answered(sock):
        piece = (prefix[sent:] or CHUNK)[: size - sent]
        sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece) if chunked else piece)
        sent += len(piece)
    if chunked and not _answered(sock):
        sock.sendall(b"0\r\n\r\n")


def _answered(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _status_line(sock: socket.socket) -> bytes:
    line = b""
    with contextlib.suppress(ConnectionResetError):  # after the answer, the reset
        while b"\n" not in line:
            got = sock.recv(1024)
            if not got:
                break
            line += got
    return line.split(b"\n", 1)[0]
