"""The rules of accounts, pure: when failures lock sign-in and until when, what an address
and a name must be, and how an action names its user."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from jobline_jobs.domain.accounts import (
    AccountRefused,
    LockoutPolicy,
    actor_name,
    actor_of_user,
    check_display_name,
    check_email,
    check_password,
)

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_failures_lock_until_the_oldest_counted_one_leaves_the_window():
    policy = LockoutPolicy(attempts=3, window=15 * MINUTE)
    failures = [T0, T0 + MINUTE, T0 + 2 * MINUTE]
    assert policy.locked_until(failures[:2], T0 + 2 * MINUTE) is None
    assert policy.locked_until(failures, T0 + 2 * MINUTE) == T0 + 15 * MINUTE
    assert policy.locked_until(failures, T0 + 15 * MINUTE) is None  # the first aged out
    # More failures keep it locked until the third-latest is a window old.
    more = [*failures, T0 + 10 * MINUTE]
    assert policy.locked_until(more, T0 + 15 * MINUTE) == T0 + 16 * MINUTE


def test_an_action_by_a_user_records_their_id_and_name_a_token_only_its_id():
    user_id = uuid.uuid4()
    actor = actor_of_user("operator", user_id, "Olive: the Operator")
    assert actor == f"operator:{user_id}:Olive: the Operator"
    assert actor_name(actor) == "Olive: the Operator"
    assert actor_name(f"operator:{uuid.uuid4()}") is None
    assert actor_name("upstream") is None
    assert actor_name(None) is None


def test_addresses_names_and_passwords_are_checked():
    assert check_email("  Nia@Example.COM ") == "nia@example.com"
    assert check_display_name("  Nia   New ") == "Nia New"
    check_password("x" * 12)
    for refused in (
        lambda: check_email("nia"),
        lambda: check_display_name("   "),
        lambda: check_password("short"),
        lambda: check_password("x" * 201),
    ):
        with pytest.raises(AccountRefused):
            refused()
