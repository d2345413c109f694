"""Drawing PDFs in a pool of worker processes, so the event loop never blocks on layout."""

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from jobline_infra.observability import tracing
from jobline_infra.observability.metrics import RENDERS, Stopwatch
from jobline_invoicing.adapters import render_worker
from jobline_invoicing.adapters.invoice_html import template_version
from jobline_invoicing.domain.rendering import DrawFailed, DrawOutcome
from jobline_invoicing.service_layer.ports import Renderer

log = logging.getLogger(__name__)


class ProcessPoolRenderer(Renderer):
    """WeasyPrint in ``workers`` spawned processes (spawned, not forked: the parent runs
    threads — obstore's runtime, the event loop — that a fork would copy mid-flight)."""

    def __init__(
        self, workers: int = 1, template_dir: Path | None = None, max_crashes: int = 2
    ) -> None:
        self._workers, self._template_dir, self._max_crashes = workers, template_dir, max_crashes
        self._version = template_version(template_dir)
        self._pool = self._new_pool()

    @property
    def template_version(self) -> str:
        return self._version

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=render_worker.warm_up,
            initargs=(os.getpid(),),
        )

    async def start(self) -> None:
        """Start and warm every worker now rather than on the first invoice."""
        loop = asyncio.get_running_loop()
        pool, ready = self._pool, render_worker.ready
        calls = [loop.run_in_executor(pool, ready) for _ in range(self._workers)]
        await asyncio.gather(*calls)

    async def draw(self, snapshot: Mapping[str, object], logo: bytes | None) -> DrawOutcome:
        """Draw in a worker, timed (``jobline_invoicing_render_seconds``) and traced."""
        with Stopwatch() as watch, tracing.span("invoice render"):
            outcome = await self._draw(snapshot, logo)
        RENDERS.labels("failed" if isinstance(outcome, DrawFailed) else "drawn").observe(
            watch.seconds
        )
        return outcome

    async def _draw(self, snapshot: Mapping[str, object], logo: bytes | None) -> DrawOutcome:
        request = render_worker.DrawRequest(dict(snapshot), logo, self._template_dir)
        loop = asyncio.get_running_loop()
        for crash in range(1, self._max_crashes + 1):
            pool = self._pool
            try:
                return await loop.run_in_executor(pool, render_worker.draw, request)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): replace the pool and try again,
                # but give up on a document that kills every worker it meets.
                log.exception("render worker died (%d/%d)", crash, self._max_crashes)
                if self._pool is pool:
                    self._pool = self._new_pool()
                pool.shutdown(wait=False, cancel_futures=True)
        return DrawFailed(f"the render worker died {self._max_crashes} times on this invoice")

    def close(self) -> None:
        """Finish the renders in hand, then stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=True)
