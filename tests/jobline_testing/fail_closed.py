"""Starting a service as a careless deployment would: no JOBLINE_ENV, placeholders left in."""

import os
import subprocess
import sys

from jobline_testing.services import ROOT, free_port


def start_without_deployment(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``jobline-<service> serve`` with ``env`` and no ``JOBLINE_ENV``; what it did within
    60 s (a service that starts instead of refusing runs until then and fails the caller)."""
    environ = {k: v for k, v in os.environ.items() if k != "JOBLINE_ENV"}
    environ |= {f"JOBLINE_{service.upper()}_HTTP_PORT": str(free_port()), **env}
    return subprocess.run(
        [sys.executable, "-m", f"jobline_{service}.cli", "serve"],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
