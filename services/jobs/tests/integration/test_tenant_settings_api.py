"""Tenant settings over HTTP on real PostgreSQL: an admin changes them, every role reads
them, a refusal names the setting and its rule and changes nothing, and the invoice
snapshot prints them with the payments, the service date and the technician."""

import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from PIL import Image

from jobline_jobs.adapters.tenants import add_tenant
from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain import commands
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration
SETTINGS = "/v1/tenant/settings"
NOW = datetime.now(UTC)
HARBOUR = {
    "business_name": "Harbour Heating & Cooling",
    "business_address": {"line1": "12 Quay St", "city": "Sydney", "region": "NSW",
                         "postal_code": "2000", "country": "AU"},
    "business_phone": "+61 2 9000 1234",
    "business_email": "accounts@harbour.example",
    "tax_id": "51 824 753 556",
    "payment_terms_days": 14,
    "brand_colour": "#0a7d5a",
    "chargeback_percent": "0.5",
    "commission_split_rule": "equal",
    "default_tax_rate": "0.1",
    "invoice_revision_convention": "credit_note",
}  # fmt: skip


@pytest.fixture
def app(db: asyncpg.Pool, tmp_path):
    return api_app(db, tmp_path / "blobs")


class Tenant:
    def __init__(self, seeder: TenantSeeder, tokens: dict[str, str]) -> None:
        self.seeder, self.tokens = seeder, tokens


async def tenant(db: asyncpg.Pool, currency: str = "USD", zone: str = "America/Denver") -> Tenant:
    seeder = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", zone).create()
    async with db.acquire() as conn:
        await add_tenant(conn, seeder.tenant_id, "Seeded Plumbing", zone, currency)
        tokens = {role: await issue_token(conn, seeder.tenant_id, role) for role in ("viewer",
                  "operator", "admin")}  # fmt: skip
    return Tenant(seeder, tokens)


async def settings(app, t: Tenant, role: str = "viewer") -> dict[str, Any]:
    async with client(app, t.tokens[role]) as api:
        answer = await api.get(SETTINGS)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_an_admin_changes_the_settings_and_every_role_reads_them(db, app):
    t = await tenant(db, "AUD", "Australia/Sydney")
    async with client(app, t.tokens["admin"]) as api:
        answer = await api.patch(SETTINGS, json=HARBOUR)
    assert answer.status_code == 200, answer.text
    for role in ("viewer", "operator", "admin"):
        read = await settings(app, t, role)
        assert read == answer.json()
    assert read["business_address"]["city"] == "Sydney"
    assert read["payment_terms_days"] == 14
    assert read["brand_colour"] == "#0a7d5a"
    assert Decimal(read["chargeback_percent"]) == Decimal("0.5")
    assert Decimal(read["default_tax_rate"]) == Decimal("0.1")
    assert read["commission_split_rule"] == "equal"
    assert read["invoice_revision_convention"] == "credit_note"
    assert read["printed_invoice_title"] == "Tax Invoice"  # an AUD tenant's default
    assert read["printed_tax_id_label"] == "ABN"
    assert read["updated_by"].startswith("admin:")
    assert datetime.fromisoformat(read["updated_at"]) > NOW - timedelta(minutes=1)


async def test_the_invoice_title_follows_the_currency_until_the_tenant_sets_its_own(db, app):
    usd = await tenant(db)
    assert (await settings(app, usd))["printed_invoice_title"] == "Invoice"
    assert (await settings(app, usd))["commission_split_rule"] == "visits_completed"
    assert (await settings(app, usd))["invoice_revision_convention"] == "revised_invoice"
    async with client(app, usd.tokens["admin"]) as api:
        answer = await api.patch(SETTINGS, json={"invoice_title": "Tax Invoice",
                                                 "tax_id_label": "EIN"})  # fmt: skip
        assert answer.json()["printed_invoice_title"] == "Tax Invoice"
        cleared = await api.patch(SETTINGS, json={"invoice_title": None})
    assert cleared.json()["printed_invoice_title"] == "Invoice"
    assert cleared.json()["printed_tax_id_label"] == "EIN"


@pytest.mark.parametrize("role", ["viewer", "operator"])
async def test_only_an_admin_may_change_them(db, app, role):
    t = await tenant(db)
    before = await settings(app, t)
    async with client(app, t.tokens[role]) as api:
        answer = await api.patch(SETTINGS, json={"business_name": "Not Mine"})
        logo = await api.put(f"{SETTINGS}/logo", files={"file": ("l.png", png(), "image/png")})
    assert answer.status_code == 403
    assert logo.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert await settings(app, t) == before


async def test_an_admin_may_do_what_an_operator_may(db, app):
    t = await tenant(db)
    job = await t.seeder.job(NOW, steps=0)
    async with client(app, t.tokens["admin"]) as api:
        answer = await api.post(f"/v1/jobs/{job.job_id}/defer", json={"reason": "waiting"})
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"brand_colour": "red"}, "brand_colour", "#rrggbb"),
        ({"payment_terms_days": 400}, "payment_terms_days", "0 to 365"),
        ({"chargeback_percent": "1.5"}, "chargeback_percent", "from 0 to 1"),
        ({"commission_split_rule": "oldest"}, "commission_split_rule", "visits_completed"),
        ({"business_email": "nobody"}, "business_email", "email address"),
        ({"business_name": "  "}, "business_name", "blank"),
        ({"business_name": None}, "business_name", "required"),
        ({"default_tax_rate": "1"}, "default_tax_rate", "0.9999"),
        ({"tax_id": "x" * 41}, "tax_id", "at most 40"),
        (
            {"invoice_revision_convention": "credit_memo"},
            "invoice_revision_convention",
            "one of revised_invoice, credit_note",
        ),
        ({"invoice_revision_convention": None}, "invoice_revision_convention", "required"),
        # one good change with a bad one: refused whole
        ({"business_name": "Renamed", "brand_colour": "#12345"}, "brand_colour", "#rrggbb"),
    ],
)
async def test_a_bad_value_is_422_naming_the_setting_and_rule_and_changes_nothing(
    db, app, change, field, rule
):
    t = await tenant(db)
    before = await settings(app, t)
    async with client(app, t.tokens["admin"]) as api:
        answer = await api.patch(SETTINGS, json=change)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_setting"
    assert error["details"]["field"] == field
    assert rule in error["details"]["rule"]
    assert error["message"].startswith(f"{field}: ")
    assert await settings(app, t) == before


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"colour": "#ffffff"}, "colour"),  # not a setting
        ({"payment_terms_days": "soon"}, "payment_terms_days"),
        ({"business_address": {"line1": "1 Main St"}}, "business_address.city"),
        ({"logo_blob_key": "other-tenant/tenant/logo/abc"}, "logo_blob_key"),
    ],
)
async def test_a_malformed_request_is_422_naming_the_field(db, app, change, where):
    t = await tenant(db)
    before = await settings(app, t)
    async with client(app, t.tokens["admin"]) as api:
        answer = await api.patch(SETTINGS, json=change)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"].startswith(f"{where}: ")
    assert await settings(app, t) == before


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 20), "#0a7d5a").save(out, "PNG")
    return out.getvalue()


async def test_a_logo_is_uploaded_by_the_documents_rules_and_can_be_removed(db, app):
    t = await tenant(db)
    async with client(app, t.tokens["admin"]) as api:
        text = await api.put(f"{SETTINGS}/logo", files={"file": ("l.png", b"hello", "image/png")})
        assert text.status_code == 415
        assert (await settings(app, t))["logo_blob_key"] is None
        big = await api.put(f"{SETTINGS}/logo", files={"file": ("l.png", png() + bytes(70_000))})
        assert big.status_code == 413
        answer = await api.put(f"{SETTINGS}/logo", files={"file": ("l.png", png(), "image/png")})
        assert answer.status_code == 200, answer.text
        key = answer.json()["logo_blob_key"]
        assert key.startswith(f"{t.seeder.tenant_id}/tenant/logo/")
        removed = await api.patch(SETTINGS, json={"logo_blob_key": None})
    assert removed.json()["logo_blob_key"] is None


async def test_the_invoice_prints_the_settings_payments_service_date_and_technician(db, app):
    t = await tenant(db, "AUD", "Australia/Sydney")
    async with client(app, t.tokens["admin"]) as api:
        assert (await api.patch(SETTINGS, json=HARBOUR)).status_code == 200
    # Work completed at 14:30 UTC: already the next day in Sydney.
    start = datetime(2025, 3, 17, 14, 0, tzinfo=UTC)
    job = await t.seeder.job(start, steps=3)
    await t.seeder.technician(job.technician_id, "0.1", {})
    async with client(app, t.tokens["operator"]) as api:  # each payment then revises it
        issued = await api.post(f"/v1/jobs/{job.job_id}/invoice")
        assert issued.status_code == 201, issued.text
    for paid_at, amount, method in ((start + timedelta(days=2), "20.00", "card"),
                                    (start + timedelta(days=1), "5.00", "cash")):  # fmt: skip
        await t.seeder.send(
            commands.RecordPayment(
                t.seeder.tenant_id, paid_at, job.job_id, uuid.uuid4(), Decimal(amount), method
            )
        )
    async with client(app, t.tokens["viewer"]) as api:
        answer = await api.get(f"/v1/jobs/{job.job_id}/invoice")
    assert answer.status_code == 200, answer.text
    snapshot = answer.json()["snapshot"]
    assert snapshot["invoice_title"] == "Tax Invoice"
    assert snapshot["branding"]["business_name"] == "Harbour Heating & Cooling"
    assert snapshot["branding"]["primary_colour"] == "#0a7d5a"
    assert snapshot["seller"] == {
        "phone": "+61 2 9000 1234",
        "email": "accounts@harbour.example",
        "tax_id": "51 824 753 556",
        "tax_id_label": "ABN",
    }
    assert snapshot["service_date"] == "2025-03-18"
    assert snapshot["technician_name"] == "Tech"
    assert [(p["paid_on"], p["method"], p["amount"]) for p in snapshot["payments"]] == [
        ("2025-03-19", "cash", "5.00"),
        ("2025-03-20", "card", "20.00"),
    ]


@pytest.mark.parametrize("name", ["", "   ", "N" * 201])
async def test_a_name_no_invoice_could_print_is_refused_at_provisioning(db, name):
    tenant_id = f"t-{uuid.uuid4().hex[:10]}"
    async with db.acquire() as conn:
        with pytest.raises(ValueError, match="1 to 200 characters"):
            await add_tenant(conn, tenant_id, name, "UTC", "USD")
        assert (
            await conn.fetchval("SELECT count(*) FROM jobs.tenants WHERE tenant_id = $1", tenant_id)
            == 0
        )
