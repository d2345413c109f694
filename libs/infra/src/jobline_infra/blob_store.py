"""The blob store (obstore): a local directory by default, S3 or another URL in production."""

from pathlib import Path

import obstore
from obstore.store import LocalStore, ObjectStore, from_url


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

    async def get(self, key: str) -> bytes:
        """The bytes at ``key``."""
        result = await obstore.get_async(self._store, key)
        return bytes(await result.bytes_async())
