"""``jobline-jobs sso configure|remove``: a tenant's single sign-on through its OpenID
Connect issuer. The client secret is read from ``JOBLINE_SSO_CLIENT_SECRET`` so it stays
out of the shell's history and the process list."""

import argparse
import os

import asyncpg

from jobline_jobs.adapters.sign_on import PostgresSignOn
from jobline_jobs.config import Settings
from jobline_jobs.service_layer.queries import ROLES
from jobline_jobs.service_layer.sign_on import new_config

SECRET_VARIABLE = "JOBLINE_SSO_CLIENT_SECRET"  # noqa: S105 - the variable's name


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sso = commands.add_parser("sso", help="a tenant's single sign-on (OpenID Connect)")
    actions = sso.add_subparsers(dest="action", required=True)
    configure = actions.add_parser(
        "configure", help=f"sign in through an issuer (the client secret from ${SECRET_VARIABLE})"
    )
    configure.add_argument("--tenant", required=True)
    configure.add_argument("--issuer", required=True, help="exactly the id tokens' iss")
    configure.add_argument("--client-id", required=True)
    configure.add_argument(
        "--new-user-role",
        choices=ROLES,
        default=None,
        help="make an account with this role for a person the issuer vouches for who has "
        "none (default: only invited users may sign in)",
    )
    remove = actions.add_parser("remove", help="stop signing in through the issuer")
    remove.add_argument("--tenant", required=True)


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Do what ``args`` say; the line to print. ValueError names what is wrong."""
    pool = await asyncpg.create_pool(settings.dsn, min_size=1, max_size=2)
    try:
        store = PostgresSignOn(pool)
        if args.action == "remove":
            gone = await store.remove(args.tenant)
            return f"{args.tenant}: single sign-on {'removed' if gone else 'was not configured'}"
        secret = os.environ.get(SECRET_VARIABLE, "")
        if not secret:
            raise ValueError(f"set {SECRET_VARIABLE} to the client secret the issuer gave")
        client = (args.client_id, secret)
        try:
            await store.configure(new_config(args.tenant, args.issuer, client, args.new_user_role))
        except asyncpg.ForeignKeyViolationError as error:
            raise ValueError(f"tenant {args.tenant!r} does not exist") from error
        return f"{args.tenant}: single sign-on through {args.issuer}"
    finally:
        await pool.close()
