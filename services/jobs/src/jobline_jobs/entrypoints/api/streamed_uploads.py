"""A multipart upload read while it arrives, its file streamed to the blob store.

FastAPI's ``UploadFile`` had Starlette spool the file to the temp directory (up to the
route's limit) before a route ran. Here the body is fed to python-multipart's streaming
parser chunk by chunk: the small form fields are kept, the file part's bytes go on to the
blob store under a staging key (under the tenant, made of ids only), counted and hashed on
the way. The moment the file passes the limit the upload stops with a 413; on any refusal
or a client that goes away, the staged object is deleted. Nothing goes to the temp
directory, and memory holds the store's parts in flight, not the file.
"""

import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from jobline_infra.blob_store import BlobStore
from jobline_jobs.entrypoints.api.errors import ApiError

if TYPE_CHECKING:  # python-multipart defines its callbacks' TypedDict for type checkers only
    from python_multipart.multipart import MultipartCallbacks

FILE_FIELD = "file"
FIELD_LIMIT = 1024  # bytes of a plain form field (``kind``): nothing else is sent beside
PART_LIMIT = 16  # parts in one upload: the file and a few fields
HEAD = 16  # bytes kept of the file's start, where its type shows


def multipart_body(**fields: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of an upload route: ``fields`` beside a binary ``file``
    (what FastAPI wrote for ``Form()`` and ``File()`` parameters)."""
    properties = {**fields, FILE_FIELD: {"type": "string", "format": "binary"}}
    schema = {"type": "object", "required": list(properties), "properties": properties}
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


class StagedUpload:
    """The file of one upload, stored at ``key`` (a staging key until ``move_to``)."""

    def __init__(self, blobs: BlobStore, key: str) -> None:
        self._blobs, self.key, self.kept = blobs, key, False
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size, self.head, self.sha256 = 0, b"", ""

    async def move_to(self, key: str) -> None:
        """The staged object becomes ``key``; still deleted on failure until ``keep``."""
        await self._blobs.rename(self.key, key)
        self.key = key

    def keep(self) -> None:
        """The object at ``key`` is the caller's now: it outlives the ``staged`` block."""
        self.kept = True


@asynccontextmanager
async def staged(
    request: Request, blobs: BlobStore, tenant_id: str, limit: int
) -> AsyncIterator[StagedUpload]:
    """Read ``request``'s multipart body, its ``file`` part staged in ``blobs``; the object
    is deleted when the block ends unless the caller kept it."""
    upload = StagedUpload(blobs, f"{tenant_id}/staging/uploads/{uuid.uuid4()}")
    try:
        await _FormStream(request, upload, limit).store(blobs)
        yield upload
    finally:
        if not upload.kept:
            # Also after a failed put: a store that left its parts behind (S3 may) is
            # tidied, and a missing object is no error.
            await blobs.delete(upload.key)


class _FormStream:
    """python-multipart's callbacks for one body: fields kept, file bytes queued."""

    def __init__(self, request: Request, upload: StagedUpload, limit: int) -> None:
        self._request, self._upload, self._limit = request, upload, limit
        kind, options = parse_options_header(request.headers.get("content-type", ""))
        if kind != b"multipart/form-data" or not options.get(b"boundary"):
            raise ApiError(422, "file_required", "send the file as multipart/form-data")
        callbacks: MultipartCallbacks = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._end_field,
            "on_end": self._end,
        }
        self._parser = MultipartParser(options[b"boundary"], callbacks)
        self._parts, self._name, self._is_file, self._files, self._ended = 0, "", False, 0, False
        self._header, self._value, self._disposition = b"", b"", b""
        self._field = bytearray()
        self._queued: list[bytes] = []
        self._digest = hashlib.sha256()

    async def store(self, blobs: BlobStore) -> None:
        await blobs.put_stream(self._upload.key, self._file_chunks())
        if self._files == 0:
            raise ApiError(422, "file_required", f"{FILE_FIELD}: Field required")
        self._upload.sha256 = self._digest.hexdigest()

    async def _file_chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._request.stream():
                self._parser.write(chunk)
                for piece in self._queued:
                    yield piece
                self._queued.clear()
        except FormParserError as broken:
            raise ApiError(400, "invalid_multipart", "the multipart body is malformed") from broken
        except ClientDisconnect as gone:  # nobody reads this answer; the staged file goes
            raise ApiError(400, "incomplete_body", "the client went away mid-upload") from gone
        if not self._ended:  # python-multipart's finalize() does not check this itself
            raise ApiError(400, "invalid_multipart", "the multipart body has no closing boundary")

    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > PART_LIMIT:
            raise ApiError(422, "invalid_request", f"an upload has at most {PART_LIMIT} parts")
        self._name, self._is_file, self._disposition = "", False, b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        if self._header.lower() == b"content-disposition":
            self._disposition = self._value
        self._header, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        self._name = options.get(b"name", b"").decode("utf-8", "replace")[:40]
        self._is_file = self._name == FILE_FIELD
        if b"filename" in options and not self._is_file:
            raise ApiError(422, "invalid_request", f"{FILE_FIELD}: send the file as this field")
        if self._is_file:
            self._files += 1
            if self._files > 1:
                raise ApiError(422, "invalid_request", "send one file per upload")
            filename = options.get(b"filename")
            self._upload.filename = filename.decode("utf-8", "replace") if filename else None

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if not self._is_file:
            self._field += data[start:end]
            if len(self._field) > FIELD_LIMIT:
                raise ApiError(422, "invalid_request", f"{self._name}: over {FIELD_LIMIT} bytes")
            return
        piece, upload = data[start:end], self._upload
        upload.size += len(piece)
        if upload.size > self._limit:
            raise ApiError(
                413, "too_large", f"the file is over the {self._limit}-byte upload limit"
            )
        if len(upload.head) < HEAD:
            upload.head += piece[: HEAD - len(upload.head)]
        self._digest.update(piece)
        self._queued.append(piece)

    def _end_field(self) -> None:
        if self._name and not self._is_file:
            self._upload.fields[self._name] = bytes(self._field).decode("utf-8", "replace")
        self._name, self._is_file, self._field = "", False, bytearray()

    def _end(self) -> None:
        self._ended = True
