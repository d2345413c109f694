"""A SIGKILLed invoicing service takes its render workers with it (``make chaos`` once found
them living on as orphans, holding memory and a CPU each)."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

_SERVICE = textwrap.dedent(
    """
    import asyncio, multiprocessing, sys
    from jobline_invoicing.adapters.render_pool import ProcessPoolRenderer

    async def main():
        renderer = ProcessPoolRenderer(workers=2)
        await renderer.start()
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        sys.stdin.read()  # until killed

    if __name__ == "__main__":  # spawned workers import this module again
        asyncio.run(main())
    """
)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has already died


def test_render_workers_die_with_a_killed_service(tmp_path: Path) -> None:
    script = tmp_path / "service.py"
    script.write_text(_SERVICE)
    with subprocess.Popen(
        [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as service:
        assert service.stdout is not None
        workers = [int(pid) for pid in service.stdout.readline().split()]
        assert len(workers) == 2
        assert all(_alive(pid) for pid in workers)

        service.kill()  # SIGKILL: no shutdown code runs in the service
        service.wait(timeout=10)

    deadline = time.monotonic() + 20
    while any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, f"render workers outlived their service: {workers}"
        time.sleep(0.1)
