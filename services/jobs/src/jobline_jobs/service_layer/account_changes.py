"""A user changes their own password; an admin changes a user's role. Both refuse in
words an office person reads (``AccountRefused``), and change nothing when they refuse."""

import uuid

from jobline_jobs.domain.accounts import AccountRefused, check_password
from jobline_jobs.service_layer.account_ports import Scope
from jobline_jobs.service_layer.accounts import Accounts, Refused, digest
from jobline_jobs.service_layer.queries import ROLES, Principal

WRONG_CURRENT = "That is not your current password."
LAST_ADMIN = (
    "The business needs at least one admin: make another user an admin first, "
    "then change this role."
)


async def change_password(
    accounts: Accounts, who: Principal, secret: str, passwords: tuple[str, str], address: str
) -> int:
    """Set ``who``'s password to ``passwords[1]`` once ``passwords[0]`` proves it is them;
    every other session of theirs ends (``secret`` is the session kept). The number ended.

    A wrong current password counts as a failed sign-in: a session left open on a shared
    computer must not become a way to guess the password without the lockout."""
    current, new = passwords
    if who.user_id is None:
        raise AccountRefused("no_user", "Only a signed-in user has a password to change.")
    me = await accounts.store.user(who.tenant_id, who.user_id)
    found = None if me is None else await accounts.store.credentials(me.email)
    if me is None or found is None:
        raise AccountRefused("not_found", "there is no such user in this business")
    keys: dict[Scope, str] = {"account": me.email, "address": address}
    locked = await accounts.locked(keys)
    if locked is not None:
        raise AccountRefused("locked", locked.message)
    if not await accounts.secrets.verify_password(current, found.password_hash):
        refused: Refused = await accounts.failed(keys, WRONG_CURRENT)
        raise AccountRefused("wrong_password", refused.message)
    check_password(new)
    if new == current:
        raise AccountRefused("same_password", "The new password is the one you have now.")
    await accounts.store.set_password(me.user_id, await accounts.secrets.hash_password(new))
    await accounts.store.clear_failures("account", me.email)
    return await accounts.store.revoke_others(me.user_id, digest(secret), accounts.clock())


async def change_role(accounts: Accounts, tenant_id: str, user_id: uuid.UUID, role: str) -> str:
    """Give the user ``role``; their next request acts with it. The display name."""
    if role not in ROLES:
        raise AccountRefused("invalid_role", "Choose viewer, operator or admin.")
    outcome = await accounts.store.set_role(tenant_id, user_id, ROLES[ROLES.index(role)])
    if outcome == "not_found":
        raise AccountRefused("not_found", "There is no such user in this business.")
    if outcome == "last_admin":
        raise AccountRefused("last_admin", LAST_ADMIN)
    return outcome.display_name
