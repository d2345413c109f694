"""``jobline-ops dlq list|show|replay``: inspect and replay dead-letter topics.

    jobline-ops dlq list [--topic T]... [--limit N] [--kind K] [--key K] [--json]
    jobline-ops dlq show --topic T --offset N [--partition P]
    jobline-ops dlq replay --topic T (--offset N | --from A [--to B] | --all)
                           [--partition P] [--kind K] [--key K] [--fresh-id] [--dry-run]

``--topic`` takes the topic or its ``.dlq`` twin. Kafka is ``--bootstrap-servers``, else
``KAFKA_BOOTSTRAP_SERVERS``, else 127.0.0.1:9092; TLS and SASL as the services' are set,
by ``JOBLINE_KAFKA_*`` (README: Kafka transport security).
"""

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import ValidationError

from jobline_infra.kafka_security import KafkaSecurity
from jobline_ops import kafka, render
from jobline_ops.dead_letters import CLAIMED_KINDS, DELIVERY_KINDS, DeadLetter, Selection, dlq_name
from jobline_ops.replay import CannotRefresh, replay_of


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobline-ops", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
    )
    dlq = parser.add_subparsers(dest="area", required=True).add_parser(
        "dlq", help="dead-letter topics", description=__doc__
    )
    verbs = dlq.add_subparsers(dest="verb", required=True)

    listing = verbs.add_parser("list", help="dead letters per DLQ topic, newest last")
    listing.add_argument("--topic", action="append", help="repeatable; default: every *.dlq")
    listing.add_argument("--limit", type=int, default=20, help="the last N per topic (20)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")

    show = verbs.add_parser("show", help="one dead letter: headers and payload")
    show.add_argument("--topic", required=True)
    show.add_argument("--offset", type=int, required=True)

    replay = verbs.add_parser("replay", help="republish dead letters to their original topic")
    replay.add_argument("--topic", required=True)
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument("--offset", type=int, help="one dead letter")
    which.add_argument("--from", dest="first", type=int, help="from this offset (with --to)")
    which.add_argument("--all", action="store_true", help="every dead letter that matches")
    replay.add_argument("--to", dest="last", type=int, help="up to this offset, inclusive")
    replay.add_argument(
        "--fresh-id",
        action="store_true",
        help="a new message id derived from the dead letter (for refusals the consumer"
        " recorded as handled); the same id on every replay, so repeating is still safe",
    )
    replay.add_argument("--dry-run", action="store_true", help="print, publish nothing")
    for verb in (listing, show, replay):
        verb.add_argument("--partition", type=int)
    for verb in (listing, replay):
        verb.add_argument("--kind", help="only this x-dlq-kind")
        verb.add_argument("--key", help="only this key")
    return parser


async def _list(args: argparse.Namespace) -> int:
    topics = [dlq_name(t) for t in args.topic] if args.topic else None
    topics = topics or await kafka.dlq_topics(args.bootstrap_servers, args.security)
    select = Selection(partition=args.partition, kind=args.kind, key=args.key)
    filtered = select != Selection()
    for topic in topics:
        letters = await kafka.read_topic(
            args.bootstrap_servers,
            topic,
            tail=None if filtered else args.limit,
            security=args.security,
        )
        chosen = [d for d in letters if select(d)]
        shown = chosen[-args.limit :] if args.limit > 0 else []
        if args.json:
            for letter in shown:
                _say(render.as_json(letter))
        else:
            total = (
                len(chosen)
                if filtered
                else await kafka.size(args.bootstrap_servers, topic, args.security)
            )
            _say(render.table(topic, shown, total), end="\n\n")
    return 0


async def _show(args: argparse.Namespace) -> int:
    found = await _select(args, Selection(args.partition, args.offset, args.offset))
    if not found:
        _say(f"no dead letter at offset {args.offset} of {dlq_name(args.topic)}", err=True)
        return 1
    for letter in found:
        _say(render.detail(letter))
    return 0


async def _replay(args: argparse.Namespace) -> int:
    first, last = (args.offset, args.offset) if args.offset is not None else (args.first, args.last)
    chosen = await _select(args, Selection(args.partition, first, last, args.kind, args.key))
    if not chosen:
        _say("nothing matches; nothing replayed", err=True)
        return 1
    at, by = datetime.now(UTC), getpass.getuser()
    try:
        replays = [replay_of(d, at=at, by=by, fresh_id=args.fresh_id) for d in chosen]
    except CannotRefresh as error:
        _say(f"--fresh-id: {error}", err=True)
        return 1
    verb = "would replay" if args.dry_run else "replaying"
    for letter, replay in zip(chosen, replays, strict=True):
        _say(
            f"{verb} {letter.ref} [{letter.kind}] -> {replay.topic}"
            f" key={letter.key_text!r} message_id={replay.message_id}"
        )
    claimed = [d for d in chosen if d.kind in CLAIMED_KINDS]
    if claimed and not args.fresh_id:
        _say(NOTE_CLAIMED.format(len(claimed)), err=True)
    if any(d.kind in DELIVERY_KINDS for d in chosen):
        _say(NOTE_DELIVERY, err=True)
    if args.dry_run:
        return 0
    sent = await kafka.publish(args.bootstrap_servers, replays, args.security)
    _say(
        f"replayed {sent} message(s); consumers are idempotent by message_id,"
        " so running this again changes nothing"
    )
    return 0


async def _select(args: argparse.Namespace, selection: Selection) -> list[DeadLetter]:
    letters = await kafka.read_topic(
        args.bootstrap_servers, dlq_name(args.topic), security=args.security
    )
    return [d for d in letters if selection(d)]


NOTE_CLAIMED = (
    "note: {} of these were refusals the consumer recorded as handled; unchanged they are"
    " no-ops there (replay with --fresh-id once the cause is fixed)"
)
NOTE_DELIVERY = (
    "note: comms never calls a provider twice for one delivery; a replayed failed delivery"
    " stays failed (send a new communication instead)"
)


def _say(text: str, *, err: bool = False, end: str = "\n") -> None:
    print(text, file=sys.stderr if err else sys.stdout, end=end)


VERBS = {"list": _list, "show": _show, "replay": _replay}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.verb == "replay" and args.first is None and args.last is not None:
        _parser().error("--to needs --from")
    try:
        args.security = KafkaSecurity()
    except ValidationError as error:
        _say(f"jobline-ops: invalid JOBLINE_KAFKA_* settings:\n{error}", err=True)
        return 2
    try:
        return asyncio.run(VERBS[args.verb](args))
    except kafka.UnknownTopic as error:
        _say(f"jobline-ops: {error}", err=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
