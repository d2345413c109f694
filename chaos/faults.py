"""The faults, one at a time, spread over the load: SIGKILLs of a jobs process (4: each
consumer and each API process, which also relays, once), of a comms worker (3,
alternating workers) and of the invoicing worker (1), and a restart of the Kafka broker
and of PostgreSQL (1 each)."""

import asyncio
import logging
import time
from dataclasses import dataclass

from chaos.stack import Stack

log = logging.getLogger("chaos.faults")

SCHEDULE = (
    "kill jobs-consume-1",
    "kill comms-1",
    "kill jobs-api-1",
    "restart kafka",
    "kill invoicing",
    "kill comms-2",
    "kill jobs-consume-2",
    "restart postgres",
    "kill comms-1",
    "kill jobs-api-2",
)


@dataclass(frozen=True)
class Injected:
    fault: str
    at: float  # seconds since the load started
    recovery: float  # seconds until the service or server answered again
    error: str | None = None


async def inject(stack: Stack, fault: str) -> float:
    verb, target = fault.split()
    if verb == "kill":
        return await stack.kill(target)
    if target == "kafka":
        return await stack.restart_kafka()
    return await stack.restart_postgres()


async def run_faults(stack: Stack, start: float, every: float) -> list[Injected]:
    """Each fault of the schedule, ``every`` seconds apart after a first quiet stretch."""
    done: list[Injected] = []
    for n, fault in enumerate(SCHEDULE):
        await asyncio.sleep(max(0.0, start + every * (n + 1) - time.monotonic()))
        at = time.monotonic() - start
        for name in stack.exited():  # a service that died by itself is a finding
            log.error("%s exited on its own; restarting it", name)
            done.append(Injected(f"{name} exited by itself", at, 0.0, "exited"))
            await asyncio.to_thread(stack.services[name].start)
        try:
            recovery = await inject(stack, fault)
        except Exception as error:  # reported as a failed injection
            log.exception("fault %s failed", fault)
            done.append(Injected(fault, at, 0.0, repr(error)))
            continue
        log.info("%6.1fs  %-17s recovered in %.1fs", at, fault, recovery)
        done.append(Injected(fault, at, recovery))
    return done
