"""Concurrent single calls gathered into one batched call (natural batching).

Every attempt in flight claims, settles and is reported on by itself; done one statement or
transaction each, they made a worker spend its time in database round trips. A
:class:`Batcher` lets each caller still await its own answer, while the calls made
during one batch's round trip go together in the next. A lone call goes at once, so
batching adds no waiting, only fewer round trips as the load grows.
"""

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """``await batcher(item)`` is ``run([item])[0]``, with concurrent calls sharing a run.

    ``run`` answers each item in order, with an answer or the exception that item
    raised; if ``run`` itself raises, every caller of that batch gets the exception.
    One batch runs at a time, at most ``max_size`` items.
    """

    def __init__(
        self,
        run: Callable[[Sequence[T]], Awaitable[Sequence[R | Exception]]],
        *,
        max_size: int = 500,
    ) -> None:
        self._run, self._max_size = run, max_size
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._flusher is None or self._flusher.done():
            # An empty context: the batch belongs to no single caller's trace or log
            # context; what an item needs from its caller travels in the item.
            self._flusher = asyncio.create_task(self._flush(), context=contextvars.Context())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch = self._waiting[: self._max_size]
            del self._waiting[: self._max_size]
            try:
                answers = await self._run([item for item, _ in batch])
            except Exception as error:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            except BaseException:
                # Cancelled (the loop is closing): no caller is left waiting forever.
                for _, future in [*batch, *self._waiting]:
                    future.cancel()
                raise
            for (_, future), answer in zip(batch, answers, strict=True):
                if future.done():
                    continue
                if isinstance(answer, Exception):
                    future.set_exception(answer)  # this item failed, not the batch
                else:
                    future.set_result(answer)


async def each_alone(
    items: Sequence[T], run: Callable[[Sequence[T]], Awaitable[Sequence[R | Exception]]]
) -> list[R | Exception]:
    """A batch failed in the database: run each item by itself (its own transaction), so
    one item's failure is that item's answer alone."""
    answers: list[R | Exception] = []
    for item in items:
        try:
            answers.extend(await run([item]))
        except Exception as error:  # handed to that item's caller
            answers.append(error)
    return answers


def rounds(items: Sequence[T], key: Callable[[T], object]) -> list[list[int]]:
    """Positions of ``items`` in rounds where no key repeats, first sightings first: a
    batch touching one row twice applies the changes one round after the other."""
    out: list[list[int]] = []
    seen: dict[object, int] = {}
    for position, item in enumerate(items):
        n = seen[key(item)] = seen.get(key(item), -1) + 1
        if n == len(out):
            out.append([])
        out[n].append(position)
    return out
