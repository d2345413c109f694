"""Schemathesis against the jobs API's own /openapi.json, in-process over real PostgreSQL:
generated requests with a valid operator token never get a 5xx, and every answer matches the
schema the API publishes for it.

Schemathesis generates the cases; they are sent through httpx's ASGI transport on the test's
event loop because the asyncpg pool belongs to that loop (schemathesis' own ASGI client runs
the app on a loop of its own). Multipart uploads are left out: their bodies are mostly file
bytes the schema says nothing about, and test_documents_api.py covers them.
"""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from jobline_jobs.adapters.tokens import issue_token
from jobline_jobs.domain import commands
from jobline_jobs.domain.templates import SaveTemplate
from jobline_jobs.entrypoints.api import rate_limits
from jobs_testing.api import TenantSeeder, api_app, client

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 25
# What the brief demands of every answer; valid requests must also get a documented status.
# (Undecodable bytes get FastAPI's plain 400, which no route documents, and that is fine.)
CHECKS = {
    GenerationMode.POSITIVE: [
        not_a_server_error,
        response_schema_conformance,
        status_code_conformance,
    ],
    GenerationMode.NEGATIVE: [not_a_server_error, response_schema_conformance],
}
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases on every run: a failure here is a bug, not bad luck
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


async def seeded_ids(db: asyncpg.Pool) -> tuple[TenantSeeder, dict[str, list[str]]]:
    """A tenant with a job at every step, a technician, contacts and one text sent."""
    t = await TenantSeeder(db, f"t-{uuid.uuid4().hex[:10]}", "UTC").create()
    start = datetime.now(UTC) - timedelta(days=1)
    jobs = [await t.job(start, steps) for steps in range(5)]
    await t.technician(jobs[0].technician_id, "0.10", {"SVC": "100.00"})
    # A parent with a subjob (for its statement); the subjob is none of the seeded ids.
    await t.send(
        commands.CreateSubjob(
            t.tenant_id, start, jobs[0].job_id, uuid.uuid4(), "Deposit", Decimal(50), None, None
        )
    )
    (dana,) = await t.contacts(jobs[2], ("Dana", "+15555550101", "dana@example.com"))
    template = SaveTemplate(
        t.tenant_id, start, uuid.uuid4(), "Hello", "sms", None, "Hi {customer_first_name}", "test"
    )
    await t.send(template)
    return t, {
        "job_id": [str(j.job_id) for j in jobs],
        "property_id": [str(j.property_id) for j in jobs],
        "technician_id": [str(jobs[0].technician_id)],
        "customer_id": [str(j.customer_id) for j in jobs],
        "dana": [str(dana)],
        "job_with_contacts": [str(jobs[2].job_id)],
        "template_id": [str(template.template_id)],
    }


def generate(operation: Any, mode: GenerationMode) -> list[Case]:
    cases: list[Case] = []

    @FUZZ
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case: Case) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing in the operation can be made invalid
    return cases


def seed_path(case: Case, n: int, real: dict[str, list[str]]) -> bool:
    """Every other case gets real ids in its path; returns whether it did."""
    names = list(case.path_parameters or {})
    if n % 2 or not names or not all(name in real for name in names):
        return False
    for name in names:
        case.path_parameters[name] = real[name][n // 2 % len(real[name])]
    return True


def documented_unavailable(operation: Any, answer: httpx.Response) -> bool:
    """A 503 the route documents and answers with Retry-After is "not yet", not a crash.

    In-process no invoicing worker renders PDFs, so sending an invoice waits, then says so.
    """
    documented = str(answer.status_code) in operation.definition.raw["responses"]
    return answer.status_code == 503 and documented and "retry-after" in answer.headers


async def send(api: httpx.AsyncClient, case: Case) -> httpx.Response:
    kwargs = case.as_transport_kwargs(base_url=str(api.base_url))
    data = kwargs.pop("data", None)
    # Schemathesis fills the bearer scheme with made-up tokens; the fuzzing needs a real one.
    headers = {k: v for k, v in kwargs.get("headers", {}).items() if k.lower() != "authorization"}
    return await api.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=headers,
        json=kwargs.get("json"),
        content=data.encode() if isinstance(data, str) else data,
    )


@pytest.mark.timeout(300)
async def test_generated_requests_get_no_5xx_and_answers_match_the_schema(db, tmp_path):
    app = api_app(db, tmp_path)
    # ~1500 generated requests in well under a minute with one token: far past any limit a
    # client should have. 429 is documented on every route; its own tests are
    # tests/security/test_rate_limits.py.
    rate_limits.install(app, rate_limits.RateLimits(api="off"))
    t, real = await seeded_ids(db)
    # As an admin, so the admin-only reads (issue 18: GET /v1/users) are reached too.
    admin = await issue_token(db, t.tenant_id, "admin")
    async with client(app, admin) as api:
        sent = await api.post(
            f"/v1/jobs/{real['job_with_contacts'][0]}/communications",
            json={"channel": "sms", "recipient_ids": real["dana"], "body": "On our way"},
        )
        assert sent.status_code == 202, sent.text
        real["communication_id"] = [sent.json()["communication_id"]]
        # issue 18: a photo of the first job, for its document route (seed_path pairs it
        # with the first job whenever it picks that one)
        photo = await api.post(
            f"/v1/jobs/{real['job_id'][0]}/documents",
            data={"kind": "finished_photo"},
            files={"file": ("after.png", b"\x89PNG\r\n\x1a\n" + bytes(16), "image/png")},
        )
        assert photo.status_code == 201, photo.text
        real["document_id"] = [photo.json()["id"]]

        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [op.ok() for op in schema.get_all_operations()]
        fuzzed = [
            op
            for op in operations
            if op.method.upper() in {"GET", "POST"}
            and not any("multipart" in body.media_type for body in op.body)
        ]
        assert len(fuzzed) >= 20, [op.label for op in fuzzed]

        failures: list[str] = []
        statuses: dict[str, set[int]] = {op.label: set() for op in fuzzed}
        for operation in fuzzed:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                for n, case in enumerate(generate(operation, mode)):
                    seeded = seed_path(case, n, real)
                    answer = await send(api, case)
                    statuses[operation.label].add(answer.status_code)
                    checks = CHECKS[mode]
                    if documented_unavailable(operation, answer):
                        checks = [c for c in checks if c is not not_a_server_error]
                    try:
                        case.validate_response(answer, checks=checks)
                    except FailureGroup as failure:
                        failures.append(f"{operation.label} {case.path_parameters}: {failure}")
                    if case.path_parameters and not seeded and answer.status_code < 400:
                        failures.append(f"{operation.label}: random ids answered {answer.text}")
    assert not failures, "\n\n".join(failures[:10])
    # The seeded ids reached real rows: every read answered 2xx at least once.
    unreached = [
        label
        for label, seen in statuses.items()
        if label.startswith("GET") and not any(200 <= s < 300 for s in seen)
    ]
    assert not unreached, statuses
