"""What a Jobs list request may ask for (a page of it, or its CSV export), and the
``ListQuery`` it means in the tenant's zone."""

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jobline_jobs.domain.list_sorts import Order, Sort
from jobline_jobs.domain.views import View
from jobline_jobs.entrypoints.api import cursor, list_cursor, schemas
from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.service_layer.queries import ListQuery

# Dates whose midnight converts to UTC and back in every zone.
_EARLIEST, _LATEST = date(1900, 1, 1), date(9998, 12, 31)


class ListFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: View = Field(default=View.ALL, description="Which view of the list")
    q: schemas.Text | None = Field(
        default=None, max_length=100, description="Free text: job number, customer, address"
    )
    customer_id: UUID | None = None
    property_id: UUID | None = None
    technician_id: UUID | None = None
    scheduled_from: date | None = Field(
        default=None, ge=_EARLIEST, le=_LATEST, description="First day, in the tenant's zone"
    )
    scheduled_to: date | None = Field(
        default=None, ge=_EARLIEST, le=_LATEST, description="Last day (included)"
    )
    balance_due: bool | None = Field(
        default=None, description="true: only jobs owing money; false: only jobs that are not"
    )
    sort: Sort = Field(default=Sort.SCHEDULED, description="Sort by; job number breaks ties")
    order: Order = Order.ASC


class ListParams(ListFilters):
    limit: int = Field(default=50, ge=1, le=200, description="Rows per page, 1 to 200")
    cursor: str | None = Field(
        default=None, max_length=500, description="next_cursor of the previous page"
    )


def page_params(request: Request) -> ListParams:
    """The list's parameters from the query string, validated by pydantic at once: FastAPI
    reading a query model walks each field's annotation on every request, a tenth of a
    millisecond on the list's hottest route. Errors are FastAPI's own (422, located in
    ``query``); as there, a repeated parameter counts by its last value. ``documented``
    keeps the parameters in the OpenAPI document."""
    pairs = parse_qsl(request.scope["query_string"].decode("latin-1"), keep_blank_values=True)
    try:
        return ListParams.model_validate(dict(pairs))
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


def documented(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The model's fields as optional OpenAPI query parameters, written as FastAPI writes
    those of ``Annotated[model, Query()]`` (its enums are components of the document)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    parameters = []
    for name, field in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": False, "schema": field}
        if description := field.get("description"):
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def fingerprint(params: ListFilters) -> str:
    """The query a cursor belongs to. The list's first filters alone name a list in its
    default order, so a cursor issued before sorts existed still reads on."""
    text = params.q.strip() if params.q and params.q.strip() else None
    parts: tuple[Any, ...] = (
        params.view,
        text,
        params.customer_id,
        params.property_id,
        params.technician_id,
    )
    more = (params.scheduled_from, params.scheduled_to, params.balance_due)
    if (
        params.sort is not Sort.SCHEDULED
        or params.order is not Order.ASC
        or any(m is not None for m in more)
    ):
        parts += (params.sort, params.order, *more)
    return cursor.fingerprint(*parts)


def list_query(
    params: ListFilters, time_zone: str, limit: int, after: tuple[Any, str] | None = None
) -> ListQuery:
    """The query in the tenant's zone; 422 if the date range runs backwards."""
    if (
        params.scheduled_from
        and params.scheduled_to
        and params.scheduled_from > params.scheduled_to
    ):
        raise ApiError(422, "invalid_request", "scheduled_from is after scheduled_to")
    zone = ZoneInfo(time_zone)
    start = end = None
    if params.scheduled_from is not None:
        start = datetime.combine(params.scheduled_from, time(), zone)
    if params.scheduled_to is not None:
        end = datetime.combine(params.scheduled_to + timedelta(days=1), time(), zone)
    text = params.q.strip() if params.q and params.q.strip() else None
    return ListQuery(
        params.view,
        text,
        params.customer_id,
        params.property_id,
        params.technician_id,
        limit=limit,
        after=after,
        sort=params.sort,
        order=params.order,
        scheduled_from=start,
        scheduled_before=end,
        balance_due=params.balance_due,
    )


def page_query(params: ListParams, time_zone: str) -> tuple[ListQuery, str]:
    """A page's query, from the cursor on, and the fingerprint its next cursor carries."""
    query_id = fingerprint(params)
    after = list_cursor.decode(params.sort, params.cursor, query_id) if params.cursor else None
    return list_query(params, time_zone, params.limit, after), query_id
