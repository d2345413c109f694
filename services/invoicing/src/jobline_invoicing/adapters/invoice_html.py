"""The invoice as HTML: a Jinja2 template (autoescaped) from the package or an override."""

import functools
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from jobline_invoicing.adapters.formatting import Formatter
from jobline_invoicing.domain.content import TEMPLATE_VERSION

PACKAGED_TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE = "invoice.html"
LOGO_URL = "jobline-asset:logo"
DEFAULT_COLOUR = "#1f4e79"
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def template_version(template_dir: Path | None) -> str:
    """The version that names renders: ours, or ours plus a digest of an override's files,
    so a custom template never shares content addresses with the packaged one."""
    if template_dir is None:
        return TEMPLATE_VERSION
    digest = hashlib.sha256()
    for path in sorted(p for p in template_dir.rglob("*") if p.is_file()):
        digest.update(path.relative_to(template_dir).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"{TEMPLATE_VERSION}+{digest.hexdigest()[:12]}"


@functools.cache
def _environment(template_dir: Path) -> Environment:
    # StrictUndefined: a template naming a field the snapshot lacks fails loudly.
    return Environment(
        loader=FileSystemLoader(template_dir),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(
    snapshot: Mapping[str, Any], *, has_logo: bool, template_dir: Path | None = None
) -> str:
    """The invoice page for ``snapshot`` (plain data, as ``InvoiceSnapshot`` dumps it)."""
    branding = snapshot["branding"]
    formatter = Formatter(branding["locale"], snapshot["currency"])
    colour = branding.get("primary_colour") or DEFAULT_COLOUR
    template = _environment(template_dir or PACKAGED_TEMPLATES).get_template(TEMPLATE)
    return template.render(
        invoice=snapshot,
        f=formatter,
        logo_url=LOGO_URL if has_logo else None,
        # Printed into CSS, where HTML escaping protects nothing: only a checked colour.
        colour=colour if _COLOUR.fullmatch(colour) else DEFAULT_COLOUR,
        page_size=formatter.page_size,
    )
