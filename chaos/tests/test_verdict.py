"""The verdict of a chaos run: any loss or duplicate send fails it; unknowns and
duplicated lifecycle events are reported, not failed."""

from collections import Counter

import pytest

from chaos.checks import Findings, out_of_order, published_as
from chaos.faults import Injected
from chaos.load import Accepted
from chaos.report import render

pytestmark = pytest.mark.unit
TIMINGS = {"total": 200.0, "load": 140.0, "quiet": 5.0}
FAULTS = [Injected("kill jobs", 14, 10.0), Injected("restart kafka", 28, 6.0)]


def clean() -> Findings:
    return Findings(
        facts_accepted=10,
        facts_applied=10,
        events_expected=8,
        events_published=9,
        events_duplicated=1,
        deliveries={
            "sms": Counter(accepted=4, reached=3, unknown=1),
            "email": Counter(accepted=2, reached=2),
        },
        unknown=["sms d1: unknown in the ledger, reached the provider 1x"],
        invoice_sends=1,
        invoice_pdfs_ok=2,
    )


def test_unknowns_and_republished_events_pass_and_are_explained() -> None:
    found = clean()
    assert found.failures == []
    text = render(FAULTS, Accepted(), found, TIMINGS)
    assert text.endswith("RESULT: PASS")
    assert "faults injected: 2 (kill jobs x1, restart kafka x1)" in text
    assert "| sms deliveries | 4 | 3 | 0 | 0 | unknown 1," in text
    assert "never resends" in text


@pytest.mark.parametrize(
    ("field", "channel", "expected"),
    [
        ("facts_lost", None, "facts lost: 1"),
        ("events_missing", None, "events missing: 1"),
        ("invoice_pdfs_missing", None, "invoice pdfs missing: 1"),
        ("jobs_out_of_order", None, "jobs out of order: 1"),
        ("lost", "email", "email deliveries lost: 1"),
        ("duplicated", "sms", "sms deliveries duplicated: 1"),
    ],
)
def test_any_loss_or_duplicate_send_fails_the_run(
    field: str, channel: str | None, expected: str
) -> None:
    found = clean()
    if channel is None:
        setattr(found, field, 1)
    else:
        found.deliveries[channel][field] = 1
    assert found.failures == [expected]
    assert render(FAULTS, Accepted(), found, TIMINGS).endswith(f"RESULT: FAIL - {expected}")


def test_a_fault_that_could_not_be_injected_fails_the_run() -> None:
    failed = [*FAULTS, Injected("kill invoicing", 56, 0.0, "TimeoutError()")]
    text = render(failed, Accepted(), clean(), TIMINGS)
    assert text.endswith("RESULT: FAIL - fault not injected: kill invoicing")


def test_a_job_is_out_of_order_only_when_its_first_copies_are() -> None:
    a, b, c = (("job-1", t, "cause") for t in ("job.created", "job.started", "job.completed"))
    other = ("job-2", "job.created", "cause")
    committed = [a, other, b, c]
    assert out_of_order(committed, [a, b, other, a, b, c]) == 0  # a crash republished a, b
    assert out_of_order(committed, [a, c]) == 0  # b missing is counted elsewhere
    assert out_of_order(committed, [b, a, c, other]) == 1
    assert out_of_order(committed, [a, c, b]) == 1


def test_faults_on_numbered_processes_are_summed_by_kind() -> None:
    faults = [Injected("kill jobs-api-1", 14, 3.0), Injected("kill jobs-api-2", 28, 3.0)]
    assert "faults injected: 2 (kill jobs-api x2)" in render(faults, Accepted(), clean(), TIMINGS)


def test_a_delivery_outcome_on_the_timeline_is_expected_on_the_lifecycle_topic() -> None:
    # issue 19: delivered, failed, bounced (and a provider's opt-out refusal) are published
    assert published_as("delivery.status_changed", "delivered") == "communication.delivered"
    assert published_as("delivery.status_changed", "opted_out") == "communication.failed"
    assert published_as("delivery.status_changed", "sent") is None
    assert published_as("communication.requested", None) == "job.communication_requested"
    assert published_as("job.created", None) == "job.created"


def test_a_sendgrid_email_sent_twice_or_an_event_refused_fails_the_run() -> None:
    found = clean()
    found.sendgrid.update({"sends": 3, "events taken": 6, "ledger delivered": 3})
    assert found.failures == []
    assert "| emails via SendGrid | 3 sends | 6 signed events taken |" in render(
        FAULTS, Accepted(), found, TIMINGS
    )
    found.sendgrid.update({"duplicated": 1, "events refused": 2})
    assert found.failures == ["sendgrid duplicated: 1", "sendgrid events refused: 2"]
