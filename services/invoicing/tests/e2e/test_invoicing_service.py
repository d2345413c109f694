"""The invoicing service as operators run it: render commands in on Kafka, PDFs in the
blob store, outcomes out on Kafka."""

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from jobline_contracts.topics import INVOICING_COMMANDS, INVOICING_EVENTS
from jobline_testing.kafka import FactPublisher, Seen
from jobline_testing.polling import eventually
from jobline_testing.services import ServiceProcess

pytestmark = pytest.mark.e2e
GOLDEN = (
    Path(__file__).resolve().parents[4]
    / "contracts/examples/invoicing.commands.v1/invoice.render.v1.json"
)


def service_env(kafka_bootstrap: str, blobs: Path, group: str) -> dict[str, str]:
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        # Own group, reading from when it joined: tests never replay other runs' commands.
        "JOBLINE_INVOICING_CONSUMER_GROUP": group,
        "JOBLINE_INVOICING_AUTO_OFFSET_RESET": "latest",
        "JOBLINE_INVOICING_BLOB_URL": blobs.as_uri(),
    }


@pytest.fixture(scope="module")
def invoicing_process(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Path]]:
    blobs = tmp_path_factory.mktemp("invoicing-blobs")
    env = service_env(kafka_bootstrap, blobs, f"invoicing-e2e-{uuid.uuid4().hex[:8]}")
    service = ServiceProcess("invoicing", env, tmp_path_factory.mktemp("invoicing-logs"))
    service.start()
    yield service, blobs
    service.stop()


def fresh_render_command() -> tuple[dict, bytes]:
    """The golden command with a fresh message id and a snapshot never seen before."""
    message = json.loads(GOLDEN.read_text())
    message["message_id"] = str(uuid.uuid4())
    message["payload"]["snapshot_sha256"] = secrets.token_hex(32)
    return message, json.dumps(message).encode()


def caused_by(message: dict, event_type: str):
    def match(seen: Seen) -> bool:
        event = json.loads(seen.value)
        return event["causation_id"] == message["message_id"] and event["type"] == event_type

    return match


async def test_a_render_command_yields_a_stored_pdf_and_invoice_rendered(
    invoicing_process, publisher: FactPublisher, watch
):
    _, blobs = invoicing_process
    events = await watch(INVOICING_EVENTS.name)
    command, raw = fresh_render_command()
    job_id = command["payload"]["job_id"]
    await publisher.publish_raw(INVOICING_COMMANDS.name, raw, job_id.encode())

    [seen] = await events.wait_for(caused_by(command, "invoice.rendered"))
    event = json.loads(seen.value)
    payload = event["payload"]
    assert seen.key == job_id.encode()
    assert event["correlation_id"] == command["correlation_id"]
    assert event["tenant_id"] == "acme"
    assert payload["invoice_number"] == "INV-2025-0042"
    assert payload["snapshot_sha256"] == command["payload"]["snapshot_sha256"]
    assert payload["blob_key"].startswith("invoices/acme/")
    pdf_path = blobs / payload["blob_key"]

    async def stored() -> bool:
        return pdf_path.exists()

    await eventually(stored, within=10)  # written by this service, not another group's
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert (payload["sha256"], payload["bytes"]) == (hashlib.sha256(pdf).hexdigest(), len(pdf))
    reader = PdfReader(pdf_path)
    assert payload["pages"] == len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for figure in ("INV-2025-0042", "Water heater flush (50 gal tank)", "$307.75", "$330.37"):
        assert figure in text

    # The same snapshot again (a redelivery, or a second request): the stored PDF is
    # reported again, untouched.
    written = pdf_path.stat().st_mtime_ns
    again = {**command, "message_id": str(uuid.uuid4())}
    raw_again = json.dumps(again).encode()
    await publisher.publish_raw(INVOICING_COMMANDS.name, raw_again, job_id.encode())
    [repeat] = await events.wait_for(caused_by(again, "invoice.rendered"))
    assert json.loads(repeat.value)["payload"] == payload
    assert pdf_path.stat().st_mtime_ns == written


async def test_an_undecodable_command_is_dead_lettered_with_the_reason(
    invoicing_process, publisher: FactPublisher, watch
):
    service, _ = invoicing_process
    group = service.env["JOBLINE_INVOICING_CONSUMER_GROUP"]
    dead = await watch(INVOICING_COMMANDS.dlq)
    raw = f'{{"broken": "{uuid.uuid4()}"'.encode()
    await publisher.publish_raw(INVOICING_COMMANDS.name, raw, b"some-job")
    [seen] = await dead.wait_for(
        lambda s: s.value == raw and s.headers.get("x-dlq-consumer") == group
    )
    assert seen.key == b"some-job"
    assert seen.headers["x-dlq-kind"] == "not_json"
    assert seen.headers["x-dlq-reason"]
    assert seen.headers["x-original-topic"] == INVOICING_COMMANDS.name
    assert {"x-original-partition", "x-original-offset"} <= set(seen.headers)


@pytest.fixture
def broken_invoicing(kafka_bootstrap: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "invoice.html").write_text("<h1>{{ invoice.invoice_number }</h1>{% endif %}")
    group = f"invoicing-broken-{uuid.uuid4().hex[:8]}"
    env = {
        **service_env(kafka_bootstrap, tmp_path / "blobs", group),
        "JOBLINE_INVOICING_TEMPLATE_DIR": str(templates),
    }
    service = ServiceProcess("invoicing", env, tmp_path)
    service.start()
    yield service
    service.stop()


async def test_a_broken_template_ends_in_render_failed_with_a_reason(
    broken_invoicing, publisher: FactPublisher, watch
):
    events = await watch(INVOICING_EVENTS.name)
    command, raw = fresh_render_command()
    job_id = command["payload"]["job_id"]
    await publisher.publish_raw(INVOICING_COMMANDS.name, raw, job_id.encode())
    [seen] = await events.wait_for(caused_by(command, "invoice.render_failed"))
    event = json.loads(seen.value)
    assert seen.key == job_id.encode()
    assert event["payload"]["invoice_number"] == "INV-2025-0042"
    assert event["payload"]["snapshot_sha256"] == command["payload"]["snapshot_sha256"]
    assert event["payload"]["reason"].startswith("TemplateSyntaxError: ")
