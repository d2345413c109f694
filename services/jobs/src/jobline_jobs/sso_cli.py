"""``jobline-jobs sso configure|remove``: a tenant's single sign-on through its OpenID
Connect issuer, the same settings service as the console's page and ``/v1/tenant/sso``
(the issuer is checked before anything is kept; the secret is stored sealed). The client
secret is read from ``JOBLINE_SSO_CLIENT_SECRET`` so it stays out of the shell's history
and the process list; unset, a reconfiguration keeps the stored one."""

import argparse
import os

import asyncpg

from jobline_jobs.bootstrap import sign_on_settings
from jobline_jobs.config import Settings
from jobline_jobs.service_layer.queries import ROLES
from jobline_jobs.service_layer.sign_on_ports import SignOnChange
from jobline_jobs.service_layer.sign_on_settings import SettingRefused

SECRET_VARIABLE = "JOBLINE_SSO_CLIENT_SECRET"  # noqa: S105 - the variable's name
ACTOR = "cli:jobline-jobs sso"  # recorded as who last changed the settings


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
        service = sign_on_settings(pool, settings)
        if args.action == "remove":
            await service.remove(args.tenant)
            return f"{args.tenant}: single sign-on removed"
        secret = os.environ.get(SECRET_VARIABLE) or None
        change = SignOnChange(
            args.tenant, args.issuer, args.client_id, secret, args.new_user_role, ACTOR
        )
        try:
            await service.configure(change)
        except asyncpg.ForeignKeyViolationError as error:
            raise ValueError(f"tenant {args.tenant!r} does not exist") from error
        return f"{args.tenant}: single sign-on through {change.issuer.strip()}"
    except SettingRefused as refusal:
        hint = f" (set {SECRET_VARIABLE})" if refusal.code == "client_secret_required" else ""
        raise ValueError(refusal.message + hint) from refusal
    finally:
        await pool.close()
