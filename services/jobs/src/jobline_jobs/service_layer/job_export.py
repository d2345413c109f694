"""Every row of a Jobs list query, read as keyset pages: an export holds one page in
memory at a time, however long the list, and no transaction stays open between pages."""

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from jobline_jobs.service_layer.queries import JobLists, ListQuery

PAGE = 2000


async def every_row(
    lists: JobLists, tenant_id: str, time_zone: str, query: ListQuery, page: int = PAGE
) -> AsyncIterator[dict[str, Any]]:
    """The query's rows in its order, from its ``after`` on, page by page."""
    query = replace(query, limit=page)
    while True:
        rows, more = await lists.page(tenant_id, time_zone, query)
        for row in rows:
            yield row
        if not more:
            return
        last = rows[-1]
        query = replace(query, after=(last["sort_key"], last["job_number"]))
