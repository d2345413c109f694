"""The HTTP app of the jobs service: operations endpoints and the v1 API."""

from fastapi import FastAPI

from jobline_infra.observability.asgi import NATIVE_TELEMETRY_OFF
from jobline_jobs.entrypoints import console, operations
from jobline_jobs.entrypoints.api import (
    actions,
    commissions,
    communications,
    documents,
    errors,
    invoices,
    job_page,
    jobs,
    message_templates,
    rate_limits,
    replies,
    send_later,
    sign_on_settings,
    statements,
    tenant_settings,
    users,
)
from jobline_jobs.entrypoints.api.direct_routes import DirectRoutes


def build_app(
    lifespan: operations.Lifespan, limits: rate_limits.RateLimits | None = None
) -> FastAPI:
    app = FastAPI(
        title="Jobline jobs API",
        version="1.0.0",
        description="The Jobs list and job actions of a field-service back office. Every "
        "call needs `Authorization: Bearer <token>`; a token sees one tenant only.",
        lifespan=lifespan,
        responses=rate_limits.RESPONSES,
        telemetry=NATIVE_TELEMETRY_OFF,
    )
    errors.install(app)
    rate_limits.install(app, limits or rate_limits.RateLimits())
    # Innermost of the app's middlewares: the Jobs list straight to its endpoint.
    app.add_middleware(DirectRoutes, fastapi=app, routes=jobs.direct_routes())
    # The probes first: FastAPI matches a path router by router, and at the end of the list
    # /healthz took a quarter of a millisecond to find.
    app.include_router(operations.router)  # /healthz, /readyz
    app.include_router(jobs.router)
    app.include_router(actions.router)
    app.include_router(documents.router)
    app.include_router(invoices.router)
    app.include_router(communications.router)
    app.include_router(statements.router)
    app.include_router(tenant_settings.router)  # issue 16
    app.include_router(commissions.router)  # issue 16
    app.include_router(send_later.router)  # issue 18
    app.include_router(message_templates.router)  # issue 18
    app.include_router(job_page.router)  # issue 18, the console's job page
    app.include_router(replies.router)  # issue 20: conversations and the inbox
    app.include_router(users.router)  # issue 18: roles and one's own password
    app.include_router(sign_on_settings.router)  # issue 18: single sign-on, set by an admin
    console.install(app)  # the operator console at /, a client of the routes above
    return app
