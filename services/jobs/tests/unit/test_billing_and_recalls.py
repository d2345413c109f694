"""Staged-billing shares and recall chargebacks: exact money, every refusal."""

import re
from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest

from jobline_jobs.domain import commands, events
from jobline_jobs.domain.billing import Share, next_share
from jobline_jobs.domain.documents import safe_filename
from jobline_jobs.domain.errors import Conflict, ImpossibleTransition, InvalidRequest
from jobline_jobs.domain.model import Job
from jobline_jobs.domain.recalls import ChargebackTerms, chargeback, link_recall
from jobline_jobs.domain.staged_billing import schedule_subjob
from jobs_testing.builders import T0, dispatch_job, line

pytestmark = pytest.mark.unit
D = Decimal


def schedule(total: str, *requests: tuple[str | None, str | None]) -> list[Decimal]:
    shares: list[Share] = []
    for percent, amount in requests:
        value = next_share(
            D(total), shares, percent=percent and D(percent), amount=amount and D(amount)
        )
        shares.append(Share(uuid4(), value, percent and D(percent)))
    return [s.amount for s in shares]


def test_twenty_twenty_sixty_splits_an_uneven_total_exactly():
    amounts = schedule("1000.01", ("20", None), ("20", None), ("60", None))
    assert amounts == [D("200.00"), D("200.00"), D("600.01")]
    assert sum(amounts) == D("1000.01")


def test_thirds_add_up_to_the_total_with_the_remainder_last():
    amounts = schedule("100.00", ("33.3333", None), ("33.3333", None), ("33.3334", None))
    assert amounts == [D("33.33"), D("33.33"), D("33.34")]


def test_amount_and_percent_shares_mix():
    assert schedule("500.00", (None, "125.50"), ("50", None)) == [D("125.50"), D("250.00")]


@pytest.mark.parametrize(
    ("requests", "says"),
    [
        ([("60", None), ("41", None)], "would reach 101 %"),
        ([(None, "400.00"), (None, "100.01")], "exceeds what remains (100.00)"),
        ([(None, "500.00"), ("0.01", None)], "would reach 100.01 %"),
        ([("0", None)], "above 0 and at most 100"),
        ([(None, None)], "exactly one of percent or amount"),
        ([(None, "1.005")], "whole cents"),
    ],
)
def test_shares_never_exceed_the_parent(requests, says):
    with pytest.raises(InvalidRequest, match=re.escape(says)):
        schedule("500.00", *requests)


def test_a_subjob_is_a_billing_only_job_and_cannot_have_subjobs():
    parent = Job.dispatch(dispatch_job(lines=(line("1", "1000.01"),)))
    cmd = commands.CreateSubjob(
        "acme", T0, parent.job_id, uuid4(), "Deposit", D(20), None, T0.date()
    )
    sub = schedule_subjob(parent, cmd, "J-1-1", "UTC")
    assert (sub.step.value, sub.total, sub.parent_job_id) == (
        "awaiting_billing",
        D("200.00"),
        parent.job_id,
    )
    assert isinstance(parent.events[-1], events.SubjobScheduled)
    assert parent.events[-1].remaining == D("800.01")
    with pytest.raises(InvalidRequest, match="subjobs have no subjobs"):
        schedule_subjob(sub, replace(cmd, subjob_id=uuid4()), "J-1-1-1", "UTC")


def test_deferral_is_refused_twice_and_undeferral_when_not_deferred():
    job = Job.dispatch(dispatch_job())
    with pytest.raises(Conflict):
        job.undefer("op")
    job.defer("dispute", "op", T0)
    with pytest.raises(Conflict):
        job.defer("again", "op", T0)
    job.undefer("op")
    assert job.deferred_at is None


CARD = {"DRAIN": D("120.00")}


def test_the_chargeback_is_the_fixers_normal_charge_times_the_policy():
    recall_lines = (
        commands.LineItem(uuid4(), "DRAIN", "Drain", D(1), D("80.00"), taxable=True),
        commands.LineItem(uuid4(), "ODD", "Odd part", D(2), D("10.00"), taxable=True),
    )
    owed = chargeback(recall_lines, CARD, D("0.5"), earned_commission=D("500.00"))
    # DRAIN at the fixer's card price (120.00), ODD at its own price (2 x 10.00)
    assert (owed.normal_charge, owed.amount) == (D("140.00"), D("70.00"))


def test_the_chargeback_is_capped_at_the_commission_earned():
    lines = (commands.LineItem(uuid4(), "DRAIN", "Drain", D(1), D("80.00"), taxable=True),)
    assert chargeback(lines, CARD, D(1), earned_commission=D("33.33")).amount == D("33.33")


def completed(job: Job) -> Job:
    job.start()
    job.complete_work(T0)
    job.events.clear()
    return job


def link(recall: Job, original: Job, chain: frozenset = frozenset(), rate: str = "0.1") -> None:
    terms = ChargebackTerms(CARD, D(1), D(rate))
    link_recall(
        recall,
        original,
        reason="leak",
        chargeback_id=uuid4(),
        originals_of_original=chain,
        terms=terms,
    )


def test_a_recall_records_a_chargeback_against_the_original_technician():
    original = completed(Job.dispatch(dispatch_job(lines=(line("1", "1000.00"),))))
    recall = Job.dispatch(dispatch_job(lines=(line("1", "50.00"),)))
    link(recall, original)
    assert recall.recall_of == original.job_id
    (charged,) = original.events
    assert isinstance(charged, events.ChargebackRecorded)
    assert (charged.technician_id, charged.amount) == (original.technician_id, D("50.00"))


def test_no_commission_earned_means_no_chargeback():
    original = completed(Job.dispatch(dispatch_job()))
    recall = Job.dispatch(dispatch_job())
    link(recall, original, rate="0")
    assert original.events == []
    assert recall.events[-1].chargeback_amount == D("0.00")


def test_each_recall_refusal():
    original = completed(Job.dispatch(dispatch_job()))
    unfinished = Job.dispatch(dispatch_job())
    recall = Job.dispatch(dispatch_job())
    with pytest.raises(InvalidRequest, match="itself"):
        link(recall, recall)
    with pytest.raises(ImpossibleTransition, match="not completed"):
        link(recall, unfinished)
    with pytest.raises(InvalidRequest, match="cycle"):
        link(recall, original, chain=frozenset({recall.job_id}))
    link(recall, original)
    with pytest.raises(Conflict, match="already"):
        link(recall, original)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ("C:\\Users\\x\\plan.pdf", "plan.pdf"),
        ("bad\x00name\x1f.jpg", "badname.jpg"),
        ("..", "upload.jpg"),
        (None, "upload.jpg"),
    ],
)
def test_upload_names_are_labels_without_paths_or_control_characters(given, kept):
    assert safe_filename(given, "image/jpeg") == kept
