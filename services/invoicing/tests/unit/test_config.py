"""Settings: the defaults the stack relies on, and refusals at start-up."""

import pytest
from pydantic import ValidationError

from jobline_invoicing.config import Settings
from jobline_jobs.config import Settings as JobsSettings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "JOBLINE_INVOICING_BLOB_URL", "JOBLINE_JOBS_BLOB_URL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults():
    settings = Settings()
    assert (settings.http_port, settings.consumer_group) == (8002, "invoicing")
    assert settings.auto_offset_reset == "earliest"
    assert settings.render_workers == 1
    assert settings.template_dir is None
    assert settings.kafka_bootstrap_servers == "127.0.0.1:9092"


def test_the_blob_store_is_the_jobs_services_by_default():
    # Jobs serves the PDFs invoicing writes: out of the box they must meet in one place.
    assert Settings().blob_url == JobsSettings().blob_url
    assert Settings().blob_url.endswith("/.run/blobs")


def test_the_shared_kafka_variable_is_understood(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka.test:9092")
    assert Settings().kafka_bootstrap_servers == "kafka.test:9092"


def test_a_template_directory_must_hold_the_invoice(monkeypatch, tmp_path):
    monkeypatch.setenv("JOBLINE_INVOICING_TEMPLATE_DIR", str(tmp_path))
    with pytest.raises(ValidationError, match=r"holds no invoice\.html"):
        Settings()
    (tmp_path / "invoice.html").write_text("<p>{{ invoice.invoice_number }}</p>")
    assert Settings().template_dir == tmp_path.resolve()
