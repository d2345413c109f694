"""The Jobs list as CSV (the standard library's writer), written as the rows arrive."""

import csv
import io
from collections.abc import AsyncIterator, Sequence

from jobline_jobs.service_layer.job_export import EXPORT_COLUMNS


async def csv_chunks(
    batches: AsyncIterator[Sequence[Sequence[str | None]]],
) -> AsyncIterator[bytes]:
    """The header, then one chunk per batch of rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    async for batch in batches:
        writer.writerows(batch)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue().encode()
