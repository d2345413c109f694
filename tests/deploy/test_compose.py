"""deploy/compose.yaml against the Compose Specification, and its start order and settings."""

import copy
import json

import jsonschema
import pytest

from jobline_contracts.topics import TOPICS, topic_partitions

pytestmark = pytest.mark.unit

SERVICES = {"jobs": 8000, "comms": 8001, "invoicing": 8002}
JOBS_ROLES = {"jobs-consume": "consume", "jobs-relay": "relay"}  # beside the API, `jobs`


@pytest.fixture(scope="module")
def validator(support):
    schema = json.loads((support.SCHEMAS / "compose-spec.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_compose_matches_the_compose_specification(compose, validator):
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: c["services"]["jobs"].update(depends_on={"kafka": {"condition": "when_ready"}}),
        lambda c: c["services"]["comms"].update(healthcheck={"test": "x", "intervall": "5s"}),
        lambda c: c["services"]["invoicing"].update(ports=[{"targett": 8002}]),
    ],
)
def test_the_validation_rejects_a_broken_compose_file(compose, validator, mutate):
    broken = copy.deepcopy(dict(compose))
    mutate(broken)
    assert list(validator.iter_errors(broken))


def _image_of(service: dict) -> str | None:
    """Which of our images a compose service runs, if any."""
    dockerfile = service.get("build", {}).get("dockerfile", "")
    for name in ("jobs", "comms", "invoicing", "sandboxes"):
        if dockerfile.startswith((f"services/{name}/", f"deploy/{name}/")):
            return name
    return None


def test_every_variable_set_is_a_setting_of_the_program(compose, support):
    ours = {n: s for n, s in compose["services"].items() if _image_of(s)}
    assert set(ours) == {"migrate", "sandbox-twilio", "sandbox-smtp", *SERVICES, *JOBS_ROLES}
    for name, service in ours.items():
        unknown = set(service.get("environment", {})) - support.env_names_of(_image_of(service))
        assert not unknown, f"{name}: not settings of its program: {unknown}"


def test_start_order_waits_for_health_and_one_shot_jobs(compose, support):
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            target = services[dependency]
            if rule["condition"] == "service_healthy":
                image = _image_of(target)
                has_own = image and support.stages(support.IMAGES[image].dockerfile)[-1].all(
                    "HEALTHCHECK"
                )
                assert "healthcheck" in target or has_own, f"{name} waits on {dependency}"
            else:
                assert rule["condition"] == "service_completed_successfully"
                assert target.get("restart") == "no", f"{dependency} is a one-shot job"
    needs = {
        "jobs": {"postgres", "kafka", "kafka-topics", "migrate"},
        "jobs-consume": {"postgres", "kafka", "kafka-topics", "migrate"},
        "jobs-relay": {"postgres", "kafka", "kafka-topics", "migrate"},
        "comms": {"postgres", "kafka", "kafka-topics", "sandbox-twilio", "sandbox-smtp"},
        "invoicing": {"kafka", "kafka-topics"},
        "migrate": {"postgres"},
    }
    for name, wanted in needs.items():
        assert set(services[name]["depends_on"]) == wanted, name


def test_services_listen_where_the_local_stack_does_and_report_readiness(compose):
    services = compose["services"]
    for name, port in SERVICES.items():
        assert services[name]["ports"] == [f"127.0.0.1:{port}:{port}"]
        assert f"http://127.0.0.1:{port}/readyz" in " ".join(services[name]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["migrate"]
    assert services["jobs"]["environment"]["JOBLINE_JOBS_MIGRATE_ON_START"] == "false"
    # comms reaches the sandboxes, and the sandbox calls back where comms says it lives.
    comms = services["comms"]["environment"]
    assert comms["JOBLINE_COMMS_TWILIO_BASE_URL"] == "http://sandbox-twilio:8025"
    assert comms["JOBLINE_COMMS_SMTP_HOST"] == "sandbox-smtp"
    assert comms["JOBLINE_COMMS_PUBLIC_BASE_URL"] == "http://comms:8001"


def test_jobs_runs_each_role_in_its_own_service(compose):
    services = compose["services"]
    assert services["jobs"]["command"] == ["serve"]
    assert services["jobs"]["environment"]["JOBLINE_JOBS_ROLES"] == "api"
    for name, verb in JOBS_ROLES.items():
        assert services[name]["command"] == [verb]
        assert "JOBLINE_JOBS_ROLES" not in services[name]["environment"]
        assert "ports" not in services[name]  # 8000 is the API's on the host
        assert "http://127.0.0.1:8000/readyz" in " ".join(services[name]["healthcheck"]["test"])


def test_the_blob_store_is_shared(compose):
    for name in SERVICES:
        service = compose["services"][name]
        assert "blobs:/var/lib/jobline/blobs" in service["volumes"]
        url = service["environment"][f"JOBLINE_{name.upper()}_BLOB_URL"]
        assert url == "file:///var/lib/jobline/blobs"


def test_the_topics_job_creates_the_registrys_topics(compose):
    env = compose["services"]["kafka-topics"]["environment"]
    created = {n: int(p) for n, _, p in (w.rpartition(":") for w in env["TOPICS"].split())}
    assert created == topic_partitions()
    assert set(env["COMPACTED"].split()) == {t.name for t in TOPICS if t.compacted}
