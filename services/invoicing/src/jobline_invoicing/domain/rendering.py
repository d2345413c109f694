"""The outcome of drawing one PDF: the document, or why it could not be drawn."""

from dataclasses import dataclass

MAX_REASON = 300


@dataclass(frozen=True)
class Drawn:
    pdf: bytes
    pages: int


@dataclass(frozen=True)
class DrawFailed:
    """A failure of the document itself (template, data): drawing again will not help."""

    reason: str


DrawOutcome = Drawn | DrawFailed


def reason_of(error: BaseException) -> str:
    """``Type: message`` on one line, short enough for an event and a screen."""
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"
