"""What every service's KafkaBroker gets: metrics, consume spans and log context, as
broker middlewares, so single and batch subscribers are measured the same way."""

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from faststream import BaseMiddleware
from faststream.message import StreamMessage

from jobline_infra.observability import metrics, tracing


class LogContextMiddleware(BaseMiddleware):
    """Binds where a message came from (topic, partition, offset) to every log line
    written while it is handled."""

    async def consume_scope(
        self, call_next: Callable[[StreamMessage[Any]], Awaitable[Any]], msg: StreamMessage[Any]
    ) -> Any:  # noqa: ANN401 - whatever the handler returns
        raw = msg.raw_message
        if isinstance(raw, Sequence):
            where: dict[str, object] = {"topic": raw[0].topic, "batch": len(raw)} if raw else {}
        else:
            where = {"topic": raw.topic, "partition": raw.partition, "offset": raw.offset}
        with structlog.contextvars.bound_contextvars(**where):
            return await call_next(msg)


def broker_middlewares(service: str) -> tuple[Any, ...]:
    """Outermost first: the span (so the rest runs inside it), metrics, log context."""
    return (tracing.kafka_middleware(), metrics.kafka_middleware(service), LogContextMiddleware)


def broker_logger() -> logging.Logger:
    """FastStream's own lines through the root (JSON) handler instead of its own."""
    return logging.getLogger("jobline.kafka")
