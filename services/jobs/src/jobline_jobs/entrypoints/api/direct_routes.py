"""A pure ASGI lane that hands the hottest ``GET`` routes straight to their endpoints.

The Jobs list is read far more than anything else, and each read is one indexed query:
what the service adds around that query is the figure to keep small (``make bench``:
HTTP p50 at most twice the query's). FastAPI's way to an endpoint (routing through every
included router, dependency solving, the exception and exit-stack middlewares, the
request/response wrapper) took as long as the page's JSON. An endpoint served here is
the route's own function, which takes the request alone and reads its caller and
parameters itself; it stays declared on its router, so the OpenAPI document, and any app
built without this lane, are unchanged. Its errors go through the app's own exception
handlers, so they read exactly as they do from FastAPI; anything else propagates to the
server-error middleware as before.

Installed innermost among the app's middlewares: the request id, metrics, body limits and
HSTS around it apply as to every route.
"""

import inspect
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Endpoint = Callable[[Request], Awaitable[Response]]
Handler = Callable[[Request, Any], Response | Awaitable[Response]]


class DirectRoutes:
    def __init__(self, app: ASGIApp, fastapi: FastAPI, routes: Mapping[str, APIRoute]) -> None:
        """``routes``: path → the declared route whose endpoint to call for ``GET path``
        (the route names the request in metrics and traces, as the router would)."""
        self.app = app
        self._fastapi = fastapi
        self._routes = dict(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        request = Request(scope, receive)
        endpoint: Endpoint = route.endpoint
        try:
            response = await endpoint(request)
        except Exception as error:
            handler = self._handler(error)
            if handler is None:
                raise
            handled = handler(request, error)
            response = await handled if inspect.isawaitable(handled) else handled
        await response(scope, receive, send)

    def _handler(self, error: Exception) -> Handler | None:
        handlers = self._fastapi.exception_handlers
        return next((handlers[k] for k in type(error).__mro__ if k in handlers), None)
