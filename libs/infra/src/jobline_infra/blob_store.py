"""The blob store (obstore): a local directory by default, S3 or another URL in production."""

import contextlib
from collections.abc import AsyncIterable
from pathlib import Path

import obstore
from obstore.store import LocalStore, ObjectStore, from_url

# A streamed put is a multipart upload of parts this big (S3's smallest), at most two in
# flight: the bytes it holds at once stay ~10 MiB whatever the object's size.
STREAM_PART = 5 * 1024 * 1024
STREAM_PARTS_IN_FLIGHT = 2


class BlobStore:
    """Bytes by key. Keys are built by Jobline from ids, never from user input.

    A missing key raises :class:`FileNotFoundError`; other failures are I/O errors
    (``OSError`` or ``obstore.exceptions.BaseError``) worth retrying.
    """

    def __init__(self, url: str) -> None:
        if url.startswith("file://"):
            root = Path(url.removeprefix("file://"))
            root.mkdir(parents=True, exist_ok=True)
            self._store: ObjectStore = LocalStore(root, mkdir=True)
        else:
            self._store = from_url(url)

    async def put(self, key: str, data: bytes) -> None:
        """Store ``data`` at ``key`` (replacing what was there)."""
        await obstore.put_async(self._store, key, data)

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes]) -> None:
        """Store the bytes ``chunks`` yields at ``key`` as they come. If ``chunks`` raises
        (or the put is cancelled), the upload is aborted, nothing appears at ``key`` and
        the same exception is raised here."""
        await obstore.put_async(
            self._store,
            key,
            chunks,
            chunk_size=STREAM_PART,
            max_concurrency=STREAM_PARTS_IN_FLIGHT,
        )

    async def rename(self, source: str, target: str) -> None:
        """Move the object at ``source`` to ``target`` (replacing what was there)."""
        await obstore.rename_async(self._store, source, target)

    async def delete(self, key: str) -> None:
        """Remove the object at ``key``; a missing one is already gone."""
        with contextlib.suppress(FileNotFoundError):
            await obstore.delete_async(self._store, key)

    async def get(self, key: str) -> bytes:
        """The bytes at ``key``."""
        result = await obstore.get_async(self._store, key)
        return bytes(await result.bytes_async())
