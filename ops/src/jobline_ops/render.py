"""How dead letters are printed: a table for ``list``, a full view for ``show``."""

import json
from collections.abc import Sequence

from jobline_ops.dead_letters import DeadLetter

REASON_WIDTH = 60
COLUMNS = ("PART:OFFSET", "WHEN (UTC)", "KIND", "TYPE", "MESSAGE_ID", "KEY", "REASON")


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def row(letter: DeadLetter) -> tuple[str, ...]:
    return (
        f"{letter.partition}:{letter.offset}",
        letter.when.strftime("%Y-%m-%d %H:%M:%S"),
        letter.kind,
        _cut(letter.message_type or "-", 32),
        letter.message_id or "-",
        _cut(letter.key_text or "-", 40),
        _cut(letter.reason, REASON_WIDTH),
    )


def table(topic: str, letters: Sequence[DeadLetter], total: int) -> str:
    """``topic``'s heading and one line per dead letter."""
    heading = f"{topic}: {len(letters)} shown of {total} matching"
    if not letters:
        return heading
    rows = [COLUMNS, *(row(d) for d in letters)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([heading, *lines])


def as_json(letter: DeadLetter) -> str:
    """One dead letter as one JSON line (for scripts)."""
    return json.dumps(
        {
            "topic": letter.topic,
            "partition": letter.partition,
            "offset": letter.offset,
            "when": letter.when.isoformat(),
            "key": letter.key_text,
            "kind": letter.kind,
            "reason": letter.reason,
            "type": letter.message_type,
            "message_id": letter.message_id,
            "original_topic": letter.original_topic,
            "headers": {k: v.decode(errors="replace") for k, v in letter.headers},
        }
    )


def detail(letter: DeadLetter) -> str:
    """Everything about one dead letter: coordinates, headers, the payload pretty-printed
    (JSON), or its bytes shown safely (anything else)."""
    lines = [
        f"dead letter {letter.ref}",
        f"  dead-lettered at  {letter.when.isoformat()}",
        f"  key               {letter.key_text or '-'}",
        f"  type              {letter.message_type or '-'}",
        f"  message_id        {letter.message_id or '-'}",
        "headers:",
        *(f"  {k}: {v.decode(errors='replace')}" for k, v in letter.headers),
        f"value ({len(letter.value)} bytes):",
    ]
    envelope = letter.envelope
    if envelope is not None:
        lines.append(json.dumps(envelope, indent=2, ensure_ascii=False))
    else:
        lines.append(repr(letter.value[:2000]) + (" …" if len(letter.value) > 2000 else ""))
    return "\n".join(lines)
