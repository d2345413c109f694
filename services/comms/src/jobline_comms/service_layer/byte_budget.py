"""A byte semaphore: how many bytes of attachments a worker may hold at once.

A count of attempts in flight bounds memory only if every attempt is small; an email
carries up to 20 attachments of any size, so 64 attempts could each hold tens of MiB.
The budget is taken before an email's files are fetched and given back when its attempt
is over. Waiters go first come, first served, so a large email is not starved by small
ones; one larger than the whole budget waits until nothing else is held, then runs alone.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress


class ByteBudget:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a byte budget needs at least one byte")
        self.capacity = capacity
        self._free = capacity
        self._waiters: deque[tuple[int, asyncio.Future[None]]] = deque()

    @property
    def held(self) -> int:
        """Bytes taken now."""
        return self.capacity - self._free

    @asynccontextmanager
    async def holding(self, size: int) -> AsyncIterator[None]:
        """Hold ``size`` bytes of the budget (all of it, if ``size`` exceeds it) while
        the block runs."""
        taken = await self._acquire(min(max(size, 0), self.capacity))
        try:
            yield
        finally:
            self._release(taken)

    async def _acquire(self, n: int) -> int:
        if not self._waiters and n <= self._free:
            self._free -= n
            return n
        waiter = asyncio.get_running_loop().create_future()
        entry = (n, waiter)
        self._waiters.append(entry)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release(n)  # granted just as it was cancelled
            else:
                with suppress(ValueError):
                    self._waiters.remove(entry)
                self._grant()  # those behind it may fit now
            raise
        return n

    def _release(self, n: int) -> None:
        self._free += n
        self._grant()

    def _grant(self) -> None:
        """Let waiters in, in order, while the first of them fits."""
        while self._waiters and self._waiters[0][0] <= self._free:
            n, waiter = self._waiters.popleft()
            if waiter.done():
                continue  # cancelled
            self._free -= n
            waiter.set_result(None)
