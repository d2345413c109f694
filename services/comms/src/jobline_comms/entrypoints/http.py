"""HTTP of the comms service: health, Twilio status callbacks and inbound replies.

Both Twilio endpoints check ``X-Twilio-Signature`` against the public URL Twilio was
given (the configured base URL, not the Host header a proxy may rewrite); a forged or
unsigned request is answered 403 and changes nothing.
"""

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Protocol
from urllib.parse import unquote_plus
from uuid import UUID

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from jobline_comms.domain.replies import classify_reply, provider_status
from jobline_comms.entrypoints import inbound, sendgrid_events
from jobline_comms.service_layer.handlers import Services, record_provider_status, record_reply
from jobline_infra.observability.asgi import NATIVE_TELEMETRY_OFF
from jobline_infra.observability.metrics import DELIVERIES

log = logging.getLogger(__name__)
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]
MAX_SID = 64  # Twilio's are 34 characters; the ledger keeps up to 64
_URLENCODED, _MAX_FIELDS = "application/x-www-form-urlencoded", 1000
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


class Runtime(Protocol):
    """What the HTTP app needs from the running service."""

    services: Services
    status_callback_url: str
    inbound_url: str

    def signature_ok(self, url: str, params: Mapping[str, str], signature: str) -> bool: ...

    async def readiness(self) -> dict[str, str]: ...


def _runtime(request: Request) -> Runtime:
    # Called, not a FastAPI dependency: solving one was a tenth of a status callback.
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise HTTPException(503, "starting")
    return runtime


async def _form(request: Request) -> dict[str, str]:
    """The form's text fields. Twilio posts URL-encoded forms: decoded from the body as
    Starlette (and parse_qsl) decode them, without Starlette's streaming form parser:
    with the signature check, it had made a status callback cost a third more."""
    if request.headers.get("content-type", "").lower().startswith(_URLENCODED):
        body = (await request.body()).decode("latin-1")
        if body.count("&") >= _MAX_FIELDS:
            raise HTTPException(400, f"more than {_MAX_FIELDS} form fields")
        fields = {}
        for field in body.split("&"):
            if field:  # as parse_qsl(keep_blank_values=True): "a" and "a=" are both ""
                name, _, value = field.partition("=")
                fields[_unquoted(name)] = _unquoted(value)
        return fields
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _unquoted(text: str) -> str:
    return unquote_plus(text) if "%" in text or "+" in text else text


async def _signed_form(request: Request, runtime: Runtime, public_url: str) -> dict[str, str]:
    params = await _form(request)
    query = request.scope["query_string"].decode("latin-1")  # as request.url.query, unbuilt
    url = public_url + (f"?{query}" if query else "")
    signature = request.headers.get("X-Twilio-Signature", "")
    if not runtime.signature_ok(url, params, signature):
        log.warning("refused a Twilio request with a bad signature for %s", url)
        raise HTTPException(403, "invalid X-Twilio-Signature")
    return params


def _uuid(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


def build_app(lifespan: Lifespan | None = None) -> FastAPI:
    app = FastAPI(
        title="Jobline comms", version="0.1.0", lifespan=lifespan, telemetry=NATIVE_TELEMETRY_OFF
    )

    @app.get("/healthz", tags=["operations"], summary="The process is alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="Database and Kafka reachable")
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime | None = getattr(request.app.state, "runtime", None)
        checks = await runtime.readiness() if runtime else {"service": "starting"}
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    @app.post("/v1/twilio/status", tags=["twilio"], status_code=204)
    async def twilio_status(request: Request) -> Response:
        """A message status callback: the delivery moves forward (never back)."""
        runtime = _runtime(request)
        params = await _signed_form(request, runtime, runtime.status_callback_url)
        status = provider_status(params.get("MessageStatus", ""))
        sid = params.get("MessageSid", "")
        if status is not None and sid:
            moved = await record_provider_status(
                _uuid(request.query_params.get("delivery_id")),
                sid,
                status,
                params.get("ErrorCode") or None,
                runtime.services,
            )
            if moved:
                DELIVERIES.labels("sms", status.value).inc()
        return Response(status_code=204)

    @app.post("/v1/twilio/inbound", tags=["twilio"])
    async def twilio_inbound(request: Request) -> Response:
        """A customer's reply: STOP-like words opt out, START/UNSTOP opt back in; any
        other reply (with its MMS media) goes to the tenant's jobs."""
        runtime = _runtime(request)
        params = await _signed_form(request, runtime, runtime.inbound_url)
        phone, number = params.get("From", ""), params.get("To", "")
        sid, body = params.get("MessageSid", ""), params.get("Body", "")
        if phone and number and 0 < len(sid) <= MAX_SID:
            if classify_reply(body) is None and runtime.services.replies is not None:
                await inbound.forward_text(params, runtime.services)
            else:
                await record_reply(sid, phone, number, body, runtime.services)
        return Response(EMPTY_TWIML, media_type="application/xml")

    app.include_router(sendgrid_events.router)
    app.include_router(inbound.router)  # issue 20: email replies

    return app
