"""The blob store's streamed put, rename and delete on a local directory: a put whose
chunks fail leaves nothing, and the chunks' own error comes out of it."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobline_infra.blob_store import STREAM_PART, BlobStore

pytestmark = pytest.mark.unit


class Refused(Exception):
    pass


async def chunks(count: int, *, fail: bool = False) -> AsyncIterator[bytes]:
    for n in range(count):
        yield bytes([n % 256]) * (64 * 1024)
    if fail:
        raise Refused


def files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


async def test_a_streamed_put_stores_every_chunk_in_order(tmp_path):
    blobs = BlobStore(tmp_path.as_uri())
    count = 3 * STREAM_PART // (64 * 1024) + 5  # several parts and a short last one
    await blobs.put_stream("t/staging/a", chunks(count))
    expected = b"".join([c async for c in chunks(count)])
    assert await blobs.get("t/staging/a") == expected


async def test_a_put_whose_chunks_fail_stores_nothing_and_raises_their_error(tmp_path):
    blobs = BlobStore(tmp_path.as_uri())
    with pytest.raises(Refused):
        await blobs.put_stream("t/staging/b", chunks(100, fail=True))
    assert files(tmp_path) == []


async def test_rename_moves_and_delete_forgets_even_a_missing_key(tmp_path):
    blobs = BlobStore(tmp_path.as_uri())
    await blobs.put("t/staging/c", b"bytes")
    await blobs.rename("t/staging/c", "t/documents/c")
    assert await blobs.get("t/documents/c") == b"bytes"
    await blobs.delete("t/documents/c")
    await blobs.delete("t/documents/c")
    assert files(tmp_path) == []
