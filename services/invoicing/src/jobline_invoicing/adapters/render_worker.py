"""What runs inside a render worker process: snapshot → HTML → PDF.

Everything here must be picklable and importable by a freshly spawned interpreter.
Any error while drawing is the document's own (a template it cannot fill, data it
cannot format): it comes back as :class:`DrawFailed`, never as a crash of the worker.
"""

import ctypes
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jobline_invoicing.adapters.invoice_html import LOGO_URL, render_html
from jobline_invoicing.adapters.pdf import AssetFetcher, html_to_pdf
from jobline_invoicing.domain.rendering import DrawFailed, DrawOutcome, reason_of

_WARM_UP = "<p style=\"font-family: 'DejaVu Sans'\">Warm <b>up</b> 0123456789 $€£¥</p>"


@dataclass(frozen=True)
class DrawRequest:
    snapshot: Mapping[str, Any]
    logo: bytes | None
    template_dir: Path | None


def warm_up(parent: int) -> None:
    """Load fonts and the layout engine once, so the first invoice is drawn at full speed."""
    _die_with(parent)
    html_to_pdf(_WARM_UP, AssetFetcher({}))


_PR_SET_PDEATHSIG = 1


def _die_with(parent: int) -> None:
    """A SIGKILLed service cannot shut its pool down; without this its workers would live
    on as orphans (found by ``make chaos``). Linux ends us when the parent dies."""
    if sys.platform != "linux":
        return
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died while we were still starting up
        os._exit(1)


def ready() -> bool:
    """A no-op task: submitting one per worker starts (and warms) every worker."""
    return True


def draw(request: DrawRequest) -> DrawOutcome:
    """The PDF of ``request.snapshot``, or why it cannot be drawn."""
    try:
        html = render_html(
            request.snapshot, has_logo=request.logo is not None, template_dir=request.template_dir
        )
        assets = {LOGO_URL: request.logo} if request.logo else {}
        return html_to_pdf(html, AssetFetcher(assets))
    except Exception as error:  # every failure here is the document's own
        return DrawFailed(reason_of(error))
