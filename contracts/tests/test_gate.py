"""The compatibility gate refuses what breaks a release, through the same CLI `make lint` runs.

Each negative test changes a copy of a contract model, exports its schema into a copy of
the repository's schemas and releases, and runs ``jobline-contracts compat`` there.
"""

import shutil
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import Field, create_model

from jobline_contracts import cli, gate
from jobline_contracts.comms import DeliveryStatusChanged
from jobline_contracts.compat import Mode
from jobline_contracts.envelope import Payload
from jobline_contracts.facts import JobDispatched, PaymentRecorded
from jobline_contracts.lifecycle import JobCreated, JobStatusChanged
from jobline_contracts.schema_export import SCHEMAS_DIR, envelope_schema, render_json, schema_path
from jobline_contracts.topics import COMMS_EVENTS, DISPATCH_EVENTS, JOBS_LIFECYCLE, TopicSpec
from jobline_contracts.types import JobNumber

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for folder in (SCHEMAS_DIR, gate.RELEASED_DIR):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "docs").mkdir()
    shutil.copy(ROOT / cli.ASYNCAPI_PATH, tmp_path / cli.ASYNCAPI_PATH)
    return tmp_path


def publish(root: Path, spec: TopicSpec, model: type[Payload]) -> None:
    """Export ``model``'s envelope schema over the committed one, as `make contracts` would."""
    (root / schema_path(spec, model)).write_text(render_json(envelope_schema(spec, model)))


def changed(model: type[Payload], **fields: Any) -> type[Payload]:
    """A copy of ``model`` with ``fields`` added or redefined."""
    copy: type[Payload] = create_model(model.__name__, __base__=model, **fields)
    return copy


def without(model: type[Payload], name: str) -> type[Payload]:
    """A copy of ``model`` without the field ``name``."""
    kept = {n: (f.annotation, f) for n, f in model.model_fields.items() if n != name}
    copy: type[Payload] = create_model(model.__name__, __base__=Payload, **kept)  # type: ignore[call-overload]
    copy.message_type = model.message_type
    return copy


def gate_output(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(["compat", "--root", str(root)])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_committed_schemas_pass_the_gate_against_release_1_0_0():
    assert "1.0.0" in gate.releases(ROOT)
    assert gate.check(ROOT) == []


def test_modes_follow_who_reads_the_topic():
    assert gate.mode_of(DISPATCH_EVENTS) is Mode.BACKWARD_TRANSITIVE
    assert gate.mode_of(JOBS_LIFECYCLE) is Mode.FORWARD_TRANSITIVE
    assert gate.mode_of(COMMS_EVENTS) is Mode.FULL_TRANSITIVE


def test_a_lifecycle_field_made_optional_fails_naming_schema_field_and_rule(repo, capsys):
    publish(repo, JOBS_LIFECYCLE, changed(JobCreated, job_number=(JobNumber | None, None)))

    code, out, err = gate_output(repo, capsys)

    assert code == 1
    assert (
        "contracts/schemas/jobs.lifecycle.v1/job.created.v1.json: payload.job_number: required"
        " field made optional (read as required, not always written) against release 1.0.0 —"
        " FORWARD_TRANSITIVE: consumers on older schemas must read every new event"
    ) in out.splitlines()
    assert "payload.job_number: type widened (['null'] is written" in out  # and may be null
    assert "v2" in err


def test_a_lifecycle_field_removed_fails(repo, capsys):
    publish(repo, JOBS_LIFECYCLE, without(JobCreated, "total"))

    code, out, _ = gate_output(repo, capsys)

    assert code == 1
    assert "job.created.v1.json: payload.total: required field removed" in out
    assert "FORWARD_TRANSITIVE" in out


def test_a_fact_gaining_a_required_field_fails(repo, capsys):
    publish(repo, DISPATCH_EVENTS, changed(JobDispatched, crew_size=(int, ...)))

    code, out, _ = gate_output(repo, capsys)

    assert code == 1
    assert "job.dispatched.v1.json: payload.crew_size: required field added" in out
    assert "BACKWARD_TRANSITIVE: Jobline must read every fact an older schema allowed" in out


def test_an_added_optional_field_passes_on_every_topic(repo, capsys):
    publish(repo, DISPATCH_EVENTS, changed(JobDispatched, crew_size=(int | None, None)))
    publish(repo, JOBS_LIFECYCLE, changed(JobCreated, crew_size=(int | None, None)))
    publish(repo, COMMS_EVENTS, changed(DeliveryStatusChanged, job_id=(str | None, None)))

    code, out, _ = gate_output(repo, capsys)

    assert (code, out) == (0, "contracts compatible with 1 release(s)\n")


def test_a_lifecycle_string_given_a_max_length_passes(repo, capsys):
    # Jobline promises to emit less: every older consumer still reads it (issue 17).
    bounded = Annotated[str | None, Field(max_length=500)]
    publish(repo, JOBS_LIFECYCLE, changed(JobStatusChanged, reason=(bounded, None)))

    assert gate_output(repo, capsys)[0] == 0


def test_a_fact_string_bound_narrowed_fails_and_says_how_to_re_release(repo, capsys):
    short = Annotated[str, Field(min_length=1, max_length=20)]
    publish(repo, DISPATCH_EVENTS, changed(JobDispatched, summary=(short, ...)))

    code, out, err = gate_output(repo, capsys)

    assert code == 1
    assert "job.dispatched.v1.json: payload.summary: bound narrowed (maxLength 200" in out
    assert "make release-contracts AMEND=1" in err


def test_a_fact_enum_value_removed_fails(repo, capsys):
    methods = Annotated[str, Field(json_schema_extra={"enum": ["card", "cash"]})]
    publish(repo, DISPATCH_EVENTS, changed(PaymentRecorded, method=(methods, "cash")))

    code, out, _ = gate_output(repo, capsys)

    assert code == 1
    assert "payment.recorded.v1.json: payload.method: enum value removed" in out


def test_an_internal_event_gaining_a_required_field_fails_backward(repo, capsys):
    # FULL: a new jobs consumer replays comms events written before the change.
    publish(repo, COMMS_EVENTS, changed(DeliveryStatusChanged, job_id=(str, ...)))

    code, out, _ = gate_output(repo, capsys)

    assert code == 1
    assert "delivery.status_changed.v1.json: payload.job_id: required field added" in out
    assert "FULL_TRANSITIVE" in out


def test_a_removed_message_type_fails(repo, capsys):
    (repo / schema_path(DISPATCH_EVENTS, PaymentRecorded)).unlink()

    code, out, _ = gate_output(repo, capsys)

    assert code == 1
    assert "payment.recorded.v1.json: message type removed against release 1.0.0" in out


def test_release_copies_the_schemas_once_and_never_changes_them(repo, capsys):
    # As if the branch's schemas were 1.0.0: compatible changes not yet released are not
    # this test's concern (a new type or optional field on a branch failed it).
    gate.release(repo, "1.0.0", amend=True)
    count = len(list((repo / SCHEMAS_DIR).rglob("*.json")))
    assert cli.main(["release", "--root", str(repo), "--version", "1.0.0"]) == 0
    assert "already cut" in capsys.readouterr().out
    publish(repo, JOBS_LIFECYCLE, changed(JobCreated, crew_size=(int | None, None)))

    count = len(list((repo / SCHEMAS_DIR).rglob("*.json")))
    assert gate.release(repo, "1.1.0") == [
        f"released 1.1.0: {count} schemas in {repo / gate.RELEASED_DIR / '1.1.0'}"
    ]
    assert gate.releases(repo) == ["1.0.0", "1.1.0"]
    with pytest.raises(ValueError, match="released files never change"):
        gate.release(repo, "1.0.0")


def test_release_refuses_a_break_of_an_earlier_release_and_amend_re_cuts(repo):
    short = Annotated[str, Field(min_length=1, max_length=20)]
    publish(repo, DISPATCH_EVENTS, changed(JobDispatched, summary=(short, ...)))

    with pytest.raises(ValueError, match="bound narrowed"):
        gate.release(repo, "1.1.0")
    # The first release, cut on an unmerged branch and never published, may be re-cut.
    gate.release(repo, "1.0.0", amend=True)
    assert gate.check(repo) == []
