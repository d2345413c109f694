"""``jobline-jobs users invite|reset|disable|role``: the admin page's actions from a shell (the
first admin of a tenant is invited this way). Invite and reset print a one-time link the
user opens to choose a password; nothing secret is printed but that link."""

import argparse

import asyncpg

from jobline_jobs.bootstrap import accounts
from jobline_jobs.config import Settings
from jobline_jobs.domain.accounts import AccountRefused, normal_email
from jobline_jobs.service_layer import account_changes
from jobline_jobs.service_layer.accounts import Accounts, welcome_link
from jobline_jobs.service_layer.queries import ROLES


def add_parser(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    users = commands.add_parser("users", help="manage the console's users").add_subparsers(
        dest="action", required=True
    )
    invite = users.add_parser("invite", help="add a user; prints their one-time link")
    invite.add_argument("--tenant", required=True)
    invite.add_argument("--email", required=True)
    invite.add_argument("--name", required=True, help="the name actions are recorded under")
    invite.add_argument("--role", choices=ROLES, default="operator")
    reset = users.add_parser(
        "reset", help="clear a user's password, second factor and sessions; prints a new link"
    )
    disable = users.add_parser("disable", help="stop a user signing in; ends their sessions")
    role = users.add_parser("role", help="change a user's role (a business keeps one admin)")
    role.add_argument("--role", choices=ROLES, required=True)
    for verb in (invite, reset):
        verb.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="the console's address, as the user reaches it",
        )
    for verb in (reset, disable, role):
        verb.add_argument("--email", required=True)


async def run(settings: Settings, args: argparse.Namespace) -> str:
    """Do what ``args`` say; the line to print. ValueError names what is wrong."""
    pool = await asyncpg.create_pool(settings.dsn, min_size=1, max_size=2)
    try:
        return await _act(accounts(pool, settings), args)
    except AccountRefused as refusal:
        raise ValueError(refusal.message) from refusal
    finally:
        await pool.close()


async def _act(service: Accounts, args: argparse.Namespace) -> str:
    if args.action == "invite":
        _, link = await service.invite(args.tenant, args.email, args.name, args.role)
        return welcome_link(args.base_url, link)
    found = await service.store.credentials(normal_email(args.email))
    if found is None:
        raise ValueError(f"no user has the email {args.email!r}")
    user = found.user
    if args.action == "reset":
        return welcome_link(args.base_url, await service.reset(user.tenant_id, user.user_id))
    if args.action == "role":
        await account_changes.change_role(service, user.tenant_id, user.user_id, args.role)
        return f"{user.email} is now {args.role}"
    await service.disable(user.tenant_id, user.user_id)
    return f"{user.email} disabled"
