"""One SMS segment: 160 GSM-7 characters, or 70 when the text needs UCS-2.

GSM 03.38: the basic alphabet counts one each; the extension table (| ^ € { } [ ] ~ \\
and form feed) costs an escape plus the character, so two. Anything else (emoji, most
non-Latin letters, curly quotes) forces UCS-2, where each UTF-16 code unit counts one.
"""

from dataclasses import dataclass

from jobline_jobs.domain.errors import InvalidRequest

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("|^€{}[]~\\\f")
LIMITS = {"GSM-7": 160, "UCS-2": 70}


@dataclass(frozen=True)
class SmsLength:
    encoding: str
    units: int

    @property
    def limit(self) -> int:
        return LIMITS[self.encoding]


def measure(body: str) -> SmsLength:
    """How the text is encoded and how many units of one segment it takes."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in body):
        return SmsLength("GSM-7", sum(2 if c in GSM7_EXTENSION else 1 for c in body))
    return SmsLength("UCS-2", len(body.encode("utf-16-le")) // 2)


def check_one_segment(body: str) -> SmsLength:
    """The text's length, or InvalidRequest saying, in an office person's words, how much
    one text message holds and how much this one has."""
    if not body:
        raise InvalidRequest("a text message needs a body")
    length = measure(body)
    if length.units > length.limit:
        raise InvalidRequest(
            f"one text message holds {length.limit} characters{_because(body, length)};"
            f" this one has {length.units}"
        )
    return length


def first_outside_gsm7(body: str) -> str | None:
    """The first character that makes the text need UCS-2, if any."""
    return next((c for c in body if c not in GSM7_BASIC and c not in GSM7_EXTENSION), None)


def _because(body: str, length: SmsLength) -> str:
    if length.encoding == "GSM-7":
        return ""
    return f" when it has a character such as “{first_outside_gsm7(body)}”"
