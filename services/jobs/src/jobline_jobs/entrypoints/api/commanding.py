"""Running an operator's command: through the bus, refusals as HTTP errors, and the
Idempotency-Key contract (same key and body → the first answer; other body → 409)."""

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from datetime import UTC, datetime
from uuid import UUID

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from jobline_jobs.domain import commands, errors
from jobline_jobs.domain.accounts import actor_of_user
from jobline_jobs.domain.events import Event
from jobline_jobs.entrypoints.api.deps import ApiRuntime
from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.service_layer.queries import Principal
from jobline_jobs.service_layer.unit_of_work import Causation, KeyClaim

# The Idempotency-Key hold of the request being handled, set by ``idempotent`` around the
# action: whatever effect the action commits marks the key applied in the same transaction.
_held_key: ContextVar[KeyClaim | None] = ContextVar("held_idempotency_key", default=None)

_STATUS = {
    errors.UnknownJob: 404,
    errors.UnknownTenant: 404,
    errors.Conflict: 409,
    errors.ImpossibleTransition: 409,
    errors.InvalidRequest: 422,
}


async def execute(
    rt: ApiRuntime,
    who: Principal,
    command: commands.Command,
    *,
    message_id: UUID | None = None,
    effect: bool = True,
) -> None:
    """Apply ``command`` as ``who``; a domain refusal becomes a 404, 409 or 422.

    ``message_id`` names the request (a new one when None); it correlates what it causes.
    ``effect``: the command is what the request's Idempotency-Key stands for, marked
    applied with it; False for a step on the way (numbering an invoice, asking for its
    PDF), so a request that dies after such a step may still be retried."""
    why = _causation(who, command, message_id)
    if not effect:
        why = replace(why, key_claim=None)
    try:
        await rt.bus.execute(command, why)
    except errors.Rejected as refusal:
        raise refused(refusal) from refusal


async def preview(rt: ApiRuntime, who: Principal, command: commands.Command) -> list[Event]:
    """The events ``command`` would record as ``who``, nothing recorded; refusals as above."""
    try:
        return await rt.bus.preview(command, _causation(who, command))
    except errors.Rejected as refusal:
        raise refused(refusal) from refusal


def _causation(
    who: Principal, command: commands.Command, message_id: UUID | None = None
) -> Causation:
    message_id = message_id or uuid.uuid4()
    return Causation(
        consumer="api",
        message_id=message_id,
        message_type=f"api.{type(command).__name__}",
        correlation_id=message_id,
        occurred_at=command.occurred_at,
        actor=actor(who),
        key_claim=_held_key.get(),
    )


def refused(refusal: errors.Rejected) -> ApiError:
    """A domain refusal as the API's 404, 409 or 422."""
    status = _STATUS.get(type(refusal), 409)
    code = "not_found" if status == 404 else refusal.kind
    return ApiError(status, code, refusal.reason)


def actor(who: Principal) -> str:
    """``role:token-id`` for a machine's token, ``role:user-id:Name`` for a person."""
    if who.user_id is not None and who.display_name is not None:
        return actor_of_user(who.role, who.user_id, who.display_name)
    return f"{who.role}:{who.token_id}"


def now() -> datetime:
    return datetime.now(UTC)


Answer = tuple[int, BaseModel]


async def idempotent(
    request: Request,
    rt: ApiRuntime,
    who: Principal,
    act: Callable[[], Awaitable[Answer]],
    content: bytes | None = None,
) -> JSONResponse:
    """Run ``act`` once per Idempotency-Key (when the caller sends one). The request is
    known by its method, path and body, or by ``content`` for a route that consumed its
    body as it streamed (an upload: its form fields and the file's digest)."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        status, body = await act()
        return JSONResponse(body.model_dump(mode="json"), status)
    if not 1 <= len(key) <= 200:
        raise ApiError(422, "invalid_idempotency_key", "Idempotency-Key must be 1-200 characters")
    fingerprint = hashlib.sha256(
        request.method.encode()
        + b" "
        + request.url.path.encode()
        + b"\n"
        + (content if content is not None else await request.body())
    ).digest()
    claim = await rt.idempotency.claim(who.tenant_id, key, fingerprint)
    if claim.state == "replay":
        return JSONResponse(
            claim.response, claim.status_code or 200, headers={"Idempotent-Replayed": "true"}
        )
    if claim.state == "mismatch":
        raise ApiError(
            409, "idempotency_key_reused", "this Idempotency-Key was used with a different request"
        )
    if claim.state == "in_progress":
        raise ApiError(
            409,
            "idempotency_key_in_progress",
            "a request with this Idempotency-Key is still being handled",
        )
    if claim.state == "applied":
        raise ApiError(
            409,
            "idempotency_key_applied",
            "a request with this Idempotency-Key took effect but its answer was lost; "
            "read the resource to see the result",
        )
    assert claim.held is not None  # noqa: S101 - a new claim always holds the key
    held = _held_key.set(claim.held)
    try:
        status, body = await act()
    except ApiError as refusal:
        answer = {
            "error": {"code": refusal.code, "message": refusal.message, "details": refusal.details}
        }
        await rt.idempotency.complete(claim.held, refusal.status, answer)
        raise
    except BaseException:
        await rt.idempotency.release(claim.held)
        raise
    finally:
        _held_key.reset(held)
    payload = body.model_dump(mode="json")
    await rt.idempotency.complete(claim.held, status, payload)
    return JSONResponse(payload, status)
