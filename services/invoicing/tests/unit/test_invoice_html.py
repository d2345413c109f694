"""The invoice template: every printed field, escaped, with the subjob section on demand."""

import re
from decimal import Decimal

import pytest

from jobline_invoicing.adapters.invoice_html import LOGO_URL, render_html

pytestmark = pytest.mark.unit


def test_the_page_carries_every_field_of_the_snapshot(snapshot):
    html = render_html(snapshot, has_logo=False)
    for text in (
        "INV-2025-0042",
        "J-10042",
        "Acme Plumbing &amp; Heating",
        "1200 Industrial Drive",
        "Dana Whitfield",
        "412 Maple Avenue",
        "88 Birch Lane",
        "Unit B",
        "Mar 18, 2025",  # issued
        "Apr 17, 2025",  # due
        "Diagnostic visit",
        "Water heater flush (50 gal tank)",
        "Anode rod replacement, magnesium, incl. part",
        "Service call fee",
        "$129.50",
        "$307.75",  # subtotal
        "Tax (8%)",
        "$22.62",
        "$330.37",  # total and balance due
        "$0.00",  # paid
        "Balance due",
    ):
        assert text in html, text
    assert "size: letter" in html
    assert "#1f4e79" in html
    assert "<img" not in html
    assert "Progress billing" not in html


def test_values_are_escaped_not_interpreted(snapshot):
    hostile = "<script>alert(1)</script> & <img src=http://evil.test/x.png>"
    html = render_html({**snapshot, "customer_name": hostile, "job_number": "J-1"}, has_logo=False)
    assert "<script>" not in html
    assert "<img src=http" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img" in html


def test_only_a_checked_colour_reaches_the_css(snapshot):
    branding = {**snapshot["branding"], "primary_colour": "red; } body { display: none"}
    html = render_html({**snapshot, "branding": branding}, has_logo=False)
    assert "display: none" not in html
    assert "#1f4e79" in html


def test_the_logo_is_an_asset_url_only_when_there_is_a_logo(snapshot):
    assert f'src="{LOGO_URL}"' in render_html(snapshot, has_logo=True)


def test_a_subjob_shows_its_share_and_the_parents_schedule(subjob_snapshot):
    html = render_html(subjob_snapshot, has_logo=False)
    assert "Progress billing" in html
    assert re.search(r"bills\s+20% of\s+job J-10042", html)
    assert "<strong>$66.07</strong>" in html
    for text in ("J-10042-1", "Deposit", "Mar 18, 2025", "J-10042-2", "Completion", "$264.30"):
        assert text in html, text
    assert html.count('class="current"') == 1  # this invoice's own stage stands out


def test_a_fixed_amount_share_names_no_percentage(subjob_snapshot):
    share = {**subjob_snapshot["billing_share"], "share_percent": None}
    html = render_html({**subjob_snapshot, "billing_share": share}, has_logo=False)
    assert re.search(r"bills\s+a share of\s+job J-10042", html)


def test_other_locales_print_their_own_way(snapshot):
    branding = {**snapshot["branding"], "locale": "de_DE"}
    html = render_html(
        {**snapshot, "branding": branding, "currency": "EUR", "total": Decimal("1234.50")},
        has_logo=False,
    )
    assert "1.234,50\u00a0€" in html
    assert "size: A4" in html
    assert '<html lang="de">' in html
