"""Concurrent calls share one batched run; each caller gets its own answer or error."""

import asyncio

import pytest

from jobline_comms.adapters.batching import Batcher, rounds

pytestmark = pytest.mark.unit


async def test_calls_made_while_a_batch_runs_go_together_in_the_next():
    runs: list[list[int]] = []

    async def double(items):
        runs.append(list(items))
        await asyncio.sleep(0.01)
        return [2 * i for i in items]

    batcher = Batcher(double)
    first = asyncio.ensure_future(batcher(1))
    await asyncio.sleep(0)  # the first batch is under way
    rest = await asyncio.gather(*(batcher(i) for i in (2, 3, 4)))
    assert await first == 2
    assert rest == [4, 6, 8]
    assert runs == [[1], [2, 3, 4]]


async def test_an_item_failing_fails_only_its_caller_and_a_failed_run_fails_its_batch():
    async def run(items):
        if 0 in items:
            raise RuntimeError("the whole batch")
        return [ValueError(i) if i < 0 else i for i in items]

    batcher = Batcher(run)
    ok, bad = await asyncio.gather(batcher(1), batcher(-1), return_exceptions=True)
    assert ok == 1
    assert isinstance(bad, ValueError)
    with pytest.raises(RuntimeError):
        await batcher(0)
    assert await batcher(5) == 5  # the batcher carries on


def test_rounds_put_repeated_keys_one_round_after_the_other():
    assert rounds(["a", "b", "a", "c", "a", "b"], key=str) == [[0, 1, 3], [2, 5], [4]]
