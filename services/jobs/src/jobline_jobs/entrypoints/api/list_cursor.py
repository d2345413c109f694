"""The Jobs list's cursors: each names the last row by its sort key and job number, and
the query (view, filters, sort and order) it belongs to."""

from decimal import Decimal, InvalidOperation
from typing import Any

from jobline_jobs.domain.list_sorts import Sort
from jobline_jobs.entrypoints.api import cursor
from jobline_jobs.service_layer.queries import PageRow


def encode(sort: Sort, row: PageRow, query: str) -> str:
    key, number = row["sort_key"], row["job_number"]
    if sort is Sort.SCHEDULED:
        return cursor.encode(key, number, query)
    return cursor.encode_text(str(key), number, query)


def decode(sort: Sort, token: str, query: str) -> tuple[Any, str]:
    """The keyset (sort key, job number) in the key's own type; 422 for anything else."""
    if sort is Sort.SCHEDULED:
        return cursor.decode(token, query)
    key, number = cursor.decode_text(token, query)
    if sort is not Sort.BALANCE:
        return key, number
    try:
        amount = Decimal(key)
    except InvalidOperation as error:
        raise cursor.not_ours() from error
    # Only what a numeric(14, 2) difference can be: no NaN, no exponent games.
    if not amount.is_finite() or len(key) > 20 or str(amount) != key:
        raise cursor.not_ours()
    return amount, number
