"""Real PDFs from WeasyPrint in the process pool, read back with pypdf."""

import asyncio
import io
import os
import signal
import socket
import time
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from jobline_invoicing.adapters.formatting import Formatter
from jobline_invoicing.adapters.invoice_html import template_version
from jobline_invoicing.adapters.pdf import AssetFetcher, html_to_pdf
from jobline_invoicing.adapters.render_pool import ProcessPoolRenderer
from jobline_invoicing.domain.content import TEMPLATE_VERSION
from jobline_invoicing.domain.rendering import DrawFailed, Drawn

pytestmark = pytest.mark.integration
DEJAVU = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEJAVU_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


@pytest.fixture(scope="session")
async def renderer():
    pool = ProcessPoolRenderer(workers=2)
    await pool.start()
    yield pool
    pool.close()


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def drawn(renderer, snapshot, logo=None) -> Drawn:
    outcome = await renderer.draw(snapshot, logo)
    assert isinstance(outcome, Drawn), outcome
    assert outcome.pdf.startswith(b"%PDF-")
    assert outcome.pages == len(PdfReader(io.BytesIO(outcome.pdf)).pages)
    return outcome


async def test_the_invoice_carries_its_number_lines_totals_and_balance(renderer, snapshot):
    pdf = await drawn(renderer, snapshot)
    text = text_of(pdf.pdf)
    assert pdf.pages == 1
    for expected in (
        "INV-2025-0042",
        "J-10042",
        "Acme Plumbing & Heating",
        "Dana Whitfield",
        "88 Birch Lane",
        "Mar 18, 2025",
        "Apr 17, 2025",
        *(line["description"] for line in snapshot["lines"]),
        "$89.00",
        "$129.50",
        "$64.25",
        "$25.00",
        "Subtotal",
        "$307.75",
        "Tax (8%)",
        "$22.62",
        "Total",
        "$330.37",
        "Amount paid",
        "$0.00",
        "Balance due",
        "Page 1 of 1",
    ):
        assert expected in text, expected


async def test_a_subjob_invoice_shows_its_share_and_the_schedule(renderer, subjob_snapshot):
    text = text_of((await drawn(renderer, subjob_snapshot)).pdf)
    assert "J-10042-1" in text
    assert "PROGRESS BILLING" in text  # headings are set in capitals
    assert "This invoice bills 20% of job J-10042: $66.07" in " ".join(text.split())
    for stage in ("Deposit", "Mar 18, 2025", "Completion", "Apr 17, 2025", "$264.30", "J-10042-2"):
        assert stage in text, stage


async def test_many_lines_flow_onto_three_pages_with_every_line(renderer, many_lines):
    snapshot = many_lines(60)
    pdf = await drawn(renderer, snapshot)
    text = text_of(pdf.pdf)
    assert pdf.pages == 3
    assert "Page 3 of 3" in text
    for line in snapshot["lines"]:
        assert line["description"] in text, line["description"]
    assert text.count("Unit price".upper()) == 3  # the table header repeats on every page


async def test_the_logo_from_the_store_is_drawn(renderer, snapshot, logo_png):
    with_logo = await drawn(renderer, snapshot, logo_png)
    without = await drawn(renderer, snapshot)
    assert len(PdfReader(io.BytesIO(with_logo.pdf)).pages[0].images) == 1
    assert len(PdfReader(io.BytesIO(without.pdf)).pages[0].images) == 0


async def test_the_same_snapshot_draws_the_same_bytes(renderer, snapshot):
    first, second = await drawn(renderer, snapshot), await drawn(renderer, snapshot)
    assert first.pdf == second.pdf


async def test_rendering_leaves_the_event_loop_free(renderer, many_lines):
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    ticker = asyncio.create_task(tick())
    started = time.perf_counter()
    await drawn(renderer, many_lines(60))
    elapsed = time.perf_counter() - started
    ticker.cancel()
    # A blocked loop would tick once at most; a free one ticks all the way through.
    assert ticks >= max(3, int(elapsed / 0.005) // 4)


def test_the_fetcher_serves_its_assets_and_refuses_everything_else(logo_png):
    fetcher = AssetFetcher({"jobline-asset:logo": logo_png})
    response = fetcher.fetch("jobline-asset:logo")
    assert (response.read(), response.content_type) == (logo_png, "image/png")
    for url in (
        "http://127.0.0.1/logo.png",
        "https://example.com/font.woff",
        "file:///etc/passwd",
        "data:image/png;base64,iVBORw0KGgo=",
        "jobline-asset:other",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 5


def test_a_page_asking_for_network_resources_renders_without_touching_the_network():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)  # noqa: FBT003 - the socket API
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        html = (
            f'<link rel="stylesheet" href="{base}/style.css">'
            f"<style>@import url({base}/more.css); @font-face {{ font-family: X; "
            f"src: url({base}/x.woff) }}</style>"
            f'<p>Hello</p><img src="{base}/logo.png"><img src="file:///etc/hostname">'
        )
        fetcher = AssetFetcher({})
        pdf = html_to_pdf(html, fetcher)
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    assert pdf.pages == 1
    assert {f"{base}/style.css", f"{base}/logo.png", "file:///etc/hostname"} <= set(fetcher.refused)


def test_the_fonts_cover_every_character_money_is_printed_with():
    covered = set(TTFont(DEJAVU).getBestCmap()) & set(TTFont(DEJAVU_BOLD).getBestCmap())
    samples = [
        ("en_US", "USD"), ("en_CA", "CAD"), ("es_MX", "MXN"), ("en_GB", "GBP"),
        ("en_AU", "AUD"), ("en_NZ", "NZD"), ("en_IE", "EUR"), ("de_DE", "EUR"),
        ("fr_FR", "EUR"), ("fr_CA", "CAD"), ("es_ES", "EUR"), ("it_IT", "EUR"),
        ("nl_NL", "EUR"), ("pt_BR", "BRL"), ("de_CH", "CHF"), ("sv_SE", "SEK"),
        ("da_DK", "DKK"), ("nb_NO", "NOK"), ("pl_PL", "PLN"), ("cs_CZ", "CZK"),
        ("en_IN", "INR"), ("ja_JP", "JPY"), ("en_ZA", "ZAR"), ("tr_TR", "TRY"),
        ("uk_UA", "UAH"), ("ko_KR", "KRW"), ("he_IL", "ILS"), ("en_PH", "PHP"),
    ]  # fmt: skip
    for locale, currency in samples:
        printed = Formatter(locale, currency).money(Decimal("-1234567.89"))
        missing = {ch for ch in printed if ord(ch) not in covered}
        assert not missing, f"{locale} {currency}: {printed!r} needs {missing}"


async def test_names_in_many_scripts_come_out_as_text(renderer, snapshot):
    name = "Zoë Ørsted-Łukasiewicz · Ελένη Παπαδοπούλου · Дмитрий Иванов"
    pdf = await drawn(renderer, {**snapshot, "customer_name": name})
    assert name in " ".join(text_of(pdf.pdf).split())  # the name wraps over lines
    fonts = {
        str(font["/BaseFont"])
        for font in PdfReader(io.BytesIO(pdf.pdf)).pages[0]["/Resources"]["/Font"].values()
        for font in [font.get_object()]
    }
    assert fonts
    assert all("DejaVu" in font for font in fonts), fonts


async def test_a_broken_template_is_a_failure_with_a_reason(tmp_path, snapshot):
    (tmp_path / "invoice.html").write_text("<p>{{ invoice.invoice_number }</p>{% if %}")
    broken = ProcessPoolRenderer(workers=1, template_dir=tmp_path)
    try:
        outcome = await broken.draw(snapshot, None)
    finally:
        broken.close()
    assert isinstance(outcome, DrawFailed)
    assert outcome.reason.startswith("TemplateSyntaxError: ")


async def test_a_template_naming_a_missing_field_fails_rather_than_printing_blanks(
    tmp_path, snapshot
):
    (tmp_path / "invoice.html").write_text("<p>{{ invoice.purchase_order }}</p>")
    strict = ProcessPoolRenderer(workers=1, template_dir=tmp_path)
    try:
        outcome = await strict.draw(snapshot, None)
    finally:
        strict.close()
    assert isinstance(outcome, DrawFailed)
    assert outcome.reason.startswith("UndefinedError: ")
    assert "purchase_order" in outcome.reason


def test_the_template_version_names_overrides_by_their_content(tmp_path):
    assert template_version(None) == TEMPLATE_VERSION
    (tmp_path / "invoice.html").write_text("one")
    first = template_version(tmp_path)
    (tmp_path / "invoice.html").write_text("two")
    assert first.startswith(f"{TEMPLATE_VERSION}+")
    assert template_version(tmp_path) != first


async def test_a_dead_worker_is_replaced_and_the_invoice_still_drawn(snapshot):
    renderer = ProcessPoolRenderer(workers=1)
    try:
        await renderer.start()
        # Kill the warm worker as the OOM killer would (its pid is only known inside).
        executor = renderer._pool
        for pid in list(executor._processes):
            os.kill(pid, signal.SIGKILL)
        outcome = await renderer.draw(snapshot, None)
    finally:
        renderer.close()
    assert isinstance(outcome, Drawn)
    assert renderer._pool is not executor  # a fresh pool drew it
