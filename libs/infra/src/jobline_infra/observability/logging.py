"""Structured logs: one JSON object per line, for structlog and stdlib loggers alike.

Every line carries the service, level, logger, timestamp and whatever the context bound
(``request_id``, ``correlation_id``, ``message_id``, ``trace_id``). Personal data and
secrets are masked in every field, the message included, before anything is written:
phone numbers, email addresses, bearer/basic credentials, passwords in URLs or
``key=value`` pairs, and the configured secrets themselves (Twilio auth token, SMTP
password).
"""

import logging
import re
import sys
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace

_SECRETS: set[str] = set()
_SECRET_KEYS = re.compile(r"(?i)(pass(word|wd)?|secret|token|authorization|api[_-]?key)")
# Fields the masks must not touch: ids that merely look like numbers or tokens.
_IDS = frozenset({"trace_id", "span_id", "request_id", "correlation_id", "message_id"})
# Enough for a traceback; anything longer is someone else's payload, not a diagnosis.
MAX_FIELD_CHARS = 8192
_MASKS: tuple[tuple[re.Pattern[str], str], ...] = (
    # A credential is one long word; "basic auth" is not one.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+@"), "[redacted]@"),
    (
        re.compile(
            r"(?i)\b(password|passwd|pwd|secret|auth_token|authtoken|token|api_key|apikey)"
            r"(\"?\s*[=:]\s*\"?)[^\s\"',;&]+"
        ),
        r"\1\2[redacted]",
    ),
    # The local part starts only at the edge of its run: without that lookbehind a long
    # run with no "@" was rescanned from each of its characters (1.4 s for 16k of them).
    # Domain labels are bounded as DNS bounds them.
    (
        re.compile(
            r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+(@|%40)[A-Za-z0-9-]{1,63}"
            r"(\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"
        ),
        "[email]",
    ),
    # E.164 (also URL-encoded, as in a form body), then spelled-out national numbers.
    (re.compile(r"(\+|%2B)[1-9]\d{6,14}\b"), "[phone]"),
    (re.compile(r"(?<![\w-])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"), "[phone]"),
)


def register_secret(value: str) -> None:
    """Mask this exact value wherever it appears (a configured token or password)."""
    if len(value) >= 4:  # shorter ones would mask ordinary words
        _SECRETS.add(value)


def redact_text(text: str) -> str:
    """``text`` with personal data and secrets masked, cut to ``MAX_FIELD_CHARS``."""
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, "[secret]")
    if len(text) > MAX_FIELD_CHARS:
        text = _cut(text)
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def _cut(text: str) -> str:
    """The head of a long ``text``, ended at a space so that no half of an address or a
    number is left for the masks to miss, and how long the whole was."""
    head = text[:MAX_FIELD_CHARS]
    space = head.rfind(" ", MAX_FIELD_CHARS - 320)
    kept = head[:space] if space > 0 else head[: MAX_FIELD_CHARS - 320]
    return f"{kept}… [cut: {len(text)} characters]"


def _redact_value(value: object) -> object:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: _redact_field(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


def _redact_field(key: str, value: object) -> object:
    if key in _IDS:
        return value
    if _SECRET_KEYS.search(key) and value:
        return "[redacted]"
    return _redact_value(value)


def redact(_logger: object, _method: str, event: MutableMapping[str, Any]) -> Mapping[str, Any]:
    """structlog processor: mask every field of the event, the message included."""
    return {key: _redact_field(key, value) for key, value in event.items()}


def add_trace_ids(
    _logger: object, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the current span's trace and span ids, if there is one."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


def configure_logging(service: str, level: str, *, json_format: bool = True) -> None:
    """Route structlog and the standard library through one handler on stdout."""

    def add_service(
        _logger: object, _method: str, event: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        event.setdefault("service", service)
        return event

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_service,
        add_trace_ids,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_format
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    # Libraries may lower their own loggers' levels (faststream does): the handler decides.
    handler.setLevel(level)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # noqa: FBT003 - warnings as log lines, not bare stderr
    # Libraries that bring their own handler (FastStream's coloured one) go through ours.
    for name in ("faststream", "faststream.access", "uvicorn", "uvicorn.access"):
        library = logging.getLogger(name)
        library.handlers.clear()
        library.propagate = True
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


@contextmanager
def bound(**values: object) -> Iterator[None]:
    """Bind ``values`` (ids, not personal data) to every log line written inside."""
    with structlog.contextvars.bound_contextvars(**values):
        yield
