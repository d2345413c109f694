"""The operator console: the Jobs list and every job action in the browser, served at
``/`` by the jobs service. Server-rendered (Jinja2) with htmx and a small script; every
read and action goes through the v1 API in-process, so the rules are the API's.

static/htmx.min.js is htmx 2.0.11 from the npm registry (``npm pack htmx.org@2``, file
dist/htmx.min.js), licence 0BSD (static/htmx.LICENSE); nothing is loaded from a CDN."""

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from jobline_jobs.entrypoints.console import (
    account,
    account_changes,
    auth,
    billing,
    bulk,
    bulk_text,
    deferral,
    inbox,
    invoice,
    issuing,
    job_page,
    jobs_list,
    list_export,
    messages,
    recall_picker,
    recall_unlink,
    settings,
    sign_on,
    sign_on_settings,
    statement,
    templates_page,
    users,
    writing,
)
from jobline_jobs.entrypoints.console.rendering import HERE


def install(app: FastAPI) -> None:
    """Serve the console's pages, dialogs and static files on ``app``."""
    app.mount("/console/static", StaticFiles(directory=HERE / "static"), name="console-static")
    auth.install_handlers(app)
    pages = (
        auth,
        jobs_list,
        messages,
        invoice,
        billing,
        deferral,
        statement,
        settings,
        issuing,
        recall_picker,
        recall_unlink,
        writing,  # issue 18
        templates_page,  # issue 18
        job_page,  # issue 18
        account,  # issue 18
        account_changes,  # issue 18: before users, whose /{user_id}/{action} is broader
        users,  # issue 18
        sign_on_settings,  # issue 18: an admin sets single sign-on
        list_export,  # issue 18: the list's CSV
        bulk,  # issue 18: bulk actions on selected rows
        inbox,  # issue 20: customers' replies
        bulk_text,  # issue 18: the bulk text's fields
        sign_on,  # issue 18: single sign-on (OpenID Connect)
    )
    for module in pages:
        app.include_router(module.router)
