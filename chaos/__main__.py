"""``python -m chaos``: start the chaos stack, load it, inject the faults, wait for
quiescence, check, print the table; exit 1 on any loss or duplicate send."""

import asyncio
import logging
import os
import signal
import sys
import time

from chaos.checks import check, quiesce
from chaos.faults import run_faults
from chaos.load import Load
from chaos.report import render
from chaos.stack import RUN, running_stack

# The services fail closed; chaos runs them on the local stack's placeholder credentials.
os.environ.setdefault("JOBLINE_ENV", "development")
log = logging.getLogger("chaos")
FIRST_FAULT_AFTER = 14.0  # seconds of load before the first fault, and between faults
TAIL = 10.0  # seconds of load after the last fault


async def main() -> int:
    started = time.monotonic()
    task = asyncio.current_task()
    assert task is not None  # noqa: S101
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with running_stack() as stack:
        log.info("stack up in %.0fs; load and faults begin", time.monotonic() - started)
        load, stop = Load(stack), asyncio.Event()
        running = asyncio.create_task(load.run(stop))
        load_started = time.monotonic()
        try:
            injected = await run_faults(stack, load_started, FIRST_FAULT_AFTER)
            await asyncio.sleep(TAIL)
        finally:
            stop.set()
            await running
        load_seconds = time.monotonic() - load_started
        for name in stack.exited():
            log.error("%s exited on its own; restarting it", name)
            await asyncio.to_thread(stack.services[name].start)
        log.info("load stopped; waiting for quiescence")
        quiet = await quiesce(stack, load.accepted)
        found = await check(stack, load.accepted)
    timings = {"total": time.monotonic() - started, "load": load_seconds, "quiet": quiet}
    report = render(injected, load.accepted, found, timings)
    (RUN / "report.md").write_text(report + "\n")
    print(report)  # noqa: T201 - the report is the output
    return 1 if "RESULT: FAIL" in report else 0


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    logging.getLogger("chaos").setLevel(logging.INFO)
    # Clients reconnecting while the broker restarts log every attempt; that is expected.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    logging.getLogger("asyncpg").setLevel(logging.ERROR)  # our pool while PostgreSQL restarts
    # The sandbox warns when a callback finds its comms worker dead or its database down;
    # expected here (a lost status callback leaves a delivery "sent", never resent, until
    # the status check asks Twilio ten minutes later).
    logging.getLogger("jobline_sandboxes").setLevel(logging.ERROR)
    try:
        sys.exit(asyncio.run(main()))
    except (KeyboardInterrupt, asyncio.CancelledError):
        # running_stack() has stopped the services, the broker and the cluster on the way out.
        print("chaos: interrupted; everything it started is stopped", file=sys.stderr)  # noqa: T201
        sys.exit(130)
