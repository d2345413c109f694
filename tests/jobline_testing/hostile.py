"""Hostile HTTP clients: bodies far larger than any route takes, sent as an attacker would
(declared up front, or chunked with no length), on a raw socket so nothing buffers them."""

import asyncio
import contextlib
import select
import socket
from urllib.parse import urlsplit

CHUNK = b"x" * (1024 * 1024)


async def post_huge(url: str, path: str, size: int, *, chunked: bool = False) -> int:
    """POST ``size`` bytes of body to ``path`` without credentials; the answer's status.

    The body is written until the server answers, as a client that reads while it sends
    would: a server that reads it all before answering gets all of it. A server that
    answers early and then closes may reset the connection under a write; the answer
    came before the reset and is still queued on the socket, so it is read after the
    reset. (asyncio's streams drop it: a failed write closes the transport unread.)"""
    target = urlsplit(url)
    framing = b"Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}".encode()
    head = (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: " + target.netloc.encode()
        + b"\r\nContent-Type: application/json\r\n" + framing + b"\r\n\r\n"
    )  # fmt: skip
    address = (target.hostname or "127.0.0.1", target.port or 80)
    return await asyncio.to_thread(_post, address, head, size, chunked=chunked)


def _post(address: tuple[str, int], head: bytes, size: int, *, chunked: bool) -> int:
    with socket.create_connection(address, timeout=30) as sock:
        sock.sendall(head)
        # The server may answer and close while we send; its answer is read below.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            _send_body(sock, size, chunked=chunked)
        line = _status_line(sock)
    assert line, "the server closed the connection without answering"
    return int(line.split()[1])


def _send_body(sock: socket.socket, size: int, *, chunked: bool) -> None:
    sent = 0
    while sent < size and not _answered(sock):
        piece = CHUNK[: size - sent]
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
