"""The retry policies: a consumer's two budgets, one for outages (time) and one for crashes
(count); a background loop's retries until its process stops."""

import asyncio

import pytest

from jobline_infra.retrying import GaveUp, retrying, until_stopped

pytestmark = pytest.mark.unit


class Attempts:
    """Raises ``failures`` one per call, then answers ``done``."""

    def __init__(self, *failures: BaseException) -> None:
        self.failures, self.calls = list(failures), 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "done"


async def test_outages_do_not_use_up_the_crash_budget():
    attempt = Attempts(OSError("down"), OSError("down"), RuntimeError("bug"), OSError("down"))
    result = await retrying(attempt, transient=(OSError,), label="m", max_crashes=2)
    assert (result, attempt.calls) == ("done", 5)


async def test_a_handler_that_keeps_crashing_is_given_up_on_with_the_reason():
    attempt = Attempts(*[RuntimeError("bug")] * 5)
    with pytest.raises(GaveUp) as gave_up:
        await retrying(attempt, transient=(OSError,), label="m", max_crashes=3)
    assert attempt.calls == 3
    assert gave_up.value.reason == "RuntimeError: bug"
    assert isinstance(gave_up.value.error, RuntimeError)


async def test_past_its_time_budget_an_outage_is_raised_as_itself():
    attempt = Attempts(*[OSError("down")] * 50)
    with pytest.raises(OSError, match="down"):
        await retrying(attempt, transient=(OSError,), label="m", max_transient_wait=0.3)
    assert 2 <= attempt.calls < 10


async def test_a_background_step_is_retried_through_failures_until_it_succeeds():
    attempt = Attempts(OSError("down"), OSError("down"))
    result = await until_stopped((OSError,), asyncio.Event(), "loop")(attempt)
    assert (result, attempt.calls) == ("done", 3)


async def test_a_background_step_fails_at_once_when_stopping_and_never_on_other_errors():
    stop = asyncio.Event()
    stop.set()
    attempt = Attempts(OSError("down"), OSError("down"))
    with pytest.raises(OSError, match="down"):
        await until_stopped((OSError,), stop, "loop")(attempt)
    assert attempt.calls == 1
    with pytest.raises(RuntimeError, match="bug"):
        await until_stopped((OSError,), asyncio.Event(), "loop")(Attempts(RuntimeError("bug")))
