"""The table ``make chaos`` prints (and keeps in .run/chaos/report.md)."""

import re
from collections import Counter

from chaos.checks import Findings
from chaos.faults import Injected
from chaos.load import Accepted


def _faults(injected: list[Injected]) -> list[str]:
    kinds = Counter(re.sub(r"-\d+$", "", i.fault) for i in injected if i.error is None)
    lines = [
        f"faults injected: {sum(kinds.values())} ("
        + ", ".join(f"{k} x{n}" for k, n in kinds.items())
        + ")",
        "",
        "| at (s) | fault | back in (s) |",
        "|---:|---|---:|",
    ]
    lines += [
        f"| {i.at:.0f} | {i.fault} | {i.recovery:.1f} |"
        + (f" FAILED: {i.error}" if i.error else "")
        for i in injected
    ]
    return lines


def render(
    injected: list[Injected], accepted: Accepted, found: Findings, timings: dict[str, float]
) -> str:
    lines = [
        f"chaos: {timings['total']:.0f} s in all (load {timings['load']:.0f} s,"
        f" quiescence {timings['quiet']:.0f} s)",
        "",
        *_faults(injected),
        "",
        "| what | accepted | reflected / reached | lost | duplicated | notes |",
        "|---|---:|---:|---:|---:|---|",
        f"| dispatch facts | {found.facts_accepted} | {found.facts_applied} |"
        f" {found.facts_lost} | - | refused {found.facts_refused},"
        f" jobs in a wrong step {found.jobs_in_wrong_state} of {len(accepted.jobs)} |",
        f"| lifecycle events | {found.events_expected} state changes and sends |"
        f" {found.events_published} published | {found.events_missing} |"
        f" {found.events_duplicated} | unexplained {found.events_unexplained}, jobs out of"
        f" order {found.jobs_out_of_order} (duplicates: at-least-once relay after a crash;"
        " consumers dedupe by message_id) |",
    ]
    for channel, counts in sorted(found.deliveries.items()):
        lines.append(
            f"| {channel} deliveries | {counts['accepted']} | {counts['reached']} |"
            f" {counts['lost']} | {counts['duplicated']} | unknown {counts['unknown']},"
            f" from unacknowledged requests {counts['unacknowledged request']} |"
        )
    lines += [
        f"| invoice sends | {found.invoice_sends} | {found.invoice_pdfs_ok} emails with"
        f" their PDF | {found.invoice_pdfs_missing} without | - | |",
        _sendgrid(found),
        "",
        f"retries by the load: {dict(accepted.retries) or 'none'};"
        f" never acknowledged: {dict(accepted.unacknowledged) or 'none'};"
        f" refused: {len(accepted.refused)}",
        "dead letters: "
        + (", ".join(f"{t} {n}" for t, n in found.dead_letters.items() if n) or "none"),
    ]
    lines += [f"  refused: {r}" for r in accepted.refused[:10]]
    if found.unknown:
        lines += [
            "",
            f"unknown deliveries ({len(found.unknown)}): a comms worker was SIGKILLed after"
            " claiming them, possibly mid-call; the ledger cannot tell whether the provider"
            " took them, so it marks them unknown after the claim timeout and never resends"
            " (exactly-once beats at-least-once for customers):",
            *(f"  {u}" for u in found.unknown),
        ]
    failures = found.failures + [f"fault not injected: {i.fault}" for i in injected if i.error]
    lines += ["", "RESULT: " + ("PASS" if not failures else "FAIL - " + "; ".join(failures))]
    return "\n".join(lines)


def _sendgrid(found: Findings) -> str:
    sg = found.sendgrid
    ledger = ", ".join(
        f"{k.removeprefix('ledger ')} {n}" for k, n in sg.items() if k.startswith("ledger ")
    )
    return (
        f"| emails via SendGrid | {sg['sends']} sends | {sg['events taken']} signed events"
        f" taken | - | {sg['duplicated']} | events refused {sg['events refused']}, unreachable"
        f" {sg['events unreachable']}; ledger: {ledger or 'none'} |"
    )
