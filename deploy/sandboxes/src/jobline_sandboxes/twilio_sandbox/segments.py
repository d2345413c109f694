"""How many SMS segments a body takes (GSM-7 when it can, UCS-2 otherwise). Pure."""

import math

_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table take two septets (escape + character).
_GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def num_segments(body: str) -> int:
    """Segments for `body`: 160/153 septets in GSM-7, 70/67 UTF-16 units in UCS-2."""
    if all(char in _GSM7_BASIC or char in _GSM7_EXTENSION for char in body):
        units = len(body) + sum(char in _GSM7_EXTENSION for char in body)
        single, multi = 160, 153
    else:
        units = len(body.encode("utf-16-le")) // 2
        single, multi = 70, 67
    if units <= single:
        return 1
    return math.ceil(units / multi)
