"""``jobline-jobs``: run the service, migrate the database, provision tenants, tokens and
the console's users.

``serve`` runs the roles of ``JOBLINE_JOBS_ROLES`` (by default all three: the HTTP API and
console, the Kafka consumers, the outbox relay) in one process; ``consume`` and ``relay``
run one role alone, with /healthz, /readyz and /metrics on the HTTP port. Scale them
apart: consumers up to the partitions (one group), relays up to the outbox lanes."""

import argparse
import asyncio
import sys
import uuid
from typing import Any

import asyncpg
import uvicorn

from jobline_infra import observability
from jobline_jobs.adapters.migrate import migrate
from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import ROLES, issue_token, list_tokens, revoke_token
from jobline_jobs.bootstrap import create_app
from jobline_jobs.config import Settings
from jobline_jobs.sso_cli import add_parser as add_sso_parser
from jobline_jobs.sso_cli import run as run_sso
from jobline_jobs.users_cli import add_parser as add_users_parser
from jobline_jobs.users_cli import run as run_users

_ROLE_VERBS: dict[str, dict[str, Any]] = {
    "consume": {"roles": ("consume",)},
    "relay": {"roles": ("relay",)},
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobline-jobs", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "serve",
        help="run the roles of JOBLINE_JOBS_ROLES (default api,consume,relay: the HTTP API and "
        "console, the Kafka consumers, the outbox relay)",
    )
    commands.add_parser("consume", help="run the Kafka consumers alone (role consume)")
    commands.add_parser(
        "relay", help="run the outbox relay and the scheduled sends alone (role relay)"
    )
    commands.add_parser("migrate", help="apply pending database migrations")
    tenants = commands.add_parser("tenants", help="manage tenants").add_subparsers(
        dest="action", required=True
    )
    add = tenants.add_parser("add", help="create or update a tenant")
    add.add_argument("tenant_id")
    add.add_argument("--name", required=True)
    add.add_argument("--time-zone", required=True, help="IANA zone, e.g. America/Denver")
    add.add_argument("--currency", default="USD")
    tokens = commands.add_parser("tokens", help="manage API tokens").add_subparsers(
        dest="action", required=True
    )
    create = tokens.add_parser("create", help="issue a token; it is printed once, stored hashed")
    create.add_argument("--tenant", required=True)
    create.add_argument("--role", choices=ROLES, default="operator")
    create.add_argument("--label", default="")
    listing = tokens.add_parser("list", help="the tenant's tokens with when each was last used")
    listing.add_argument("--tenant", required=True)
    revoke = tokens.add_parser("revoke", help="revoke a token by its id (from list)")
    revoke.add_argument("token_id", type=uuid.UUID)
    add_users_parser(commands)  # issue 18
    add_sso_parser(commands)  # issue 18: single sign-on
    return parser


async def _with_connection(settings: Settings, args: argparse.Namespace) -> None:
    conn = await asyncpg.connect(settings.dsn)
    try:
        applied = await migrate(conn)
        if args.command == "migrate":
            print(f"applied {len(applied)} migration(s): {', '.join(applied) or 'none'}")  # noqa: T201
        elif args.command == "tenants":
            new = await add_tenant(conn, args.tenant_id, args.name, args.time_zone, args.currency)
            print(f"tenant {args.tenant_id} {'created' if new else 'updated'}")  # noqa: T201
        elif args.command == "tokens":
            await _tokens(conn, args)
        elif args.command == "users":
            print(await run_users(settings, args))  # noqa: T201
        elif args.command == "sso":
            print(await run_sso(settings, args))  # noqa: T201
    finally:
        await conn.close()


async def _tokens(conn: asyncpg.Connection, args: argparse.Namespace) -> None:
    if args.action == "create":
        print(await issue_token(conn, args.tenant, args.role, args.label))  # noqa: T201
    elif args.action == "list":
        print("\n".join(await list_tokens(conn, args.tenant)) or "no tokens")  # noqa: T201
    elif not await revoke_token(conn, args.token_id):
        raise ValueError(f"no live token has the id {args.token_id}")
    else:
        print(f"token {args.token_id} revoked")  # noqa: T201


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings(**_ROLE_VERBS.get(args.command, {}))
    observability.setup("jobs", settings.log_level)
    if args.command in ("serve", *_ROLE_VERBS):
        uvicorn.run(
            create_app(settings),
            host=settings.http_host,
            port=settings.http_port,
            log_level=settings.log_level.lower(),
            timeout_graceful_shutdown=20,
            server_header=False,  # no "server: uvicorn": what runs here is nobody else's business
            # The client's address and https from the ingress (rate limits, HSTS, Secure).
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            # A line per request of the hottest list was the largest cost left after the
            # query; requests are counted and timed by /metrics instead.
            access_log=False,
            log_config=None,  # uvicorn's own lines go through the JSON handler too
        )
        return 0
    try:
        asyncio.run(_with_connection(settings, args))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
