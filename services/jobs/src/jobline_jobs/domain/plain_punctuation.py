"""Typographic punctuation in its GSM-7 form, so a pasted curly apostrophe does not cut
a text message to 70 characters.

Word processors and phones turn ' into a curly apostrophe and -- into a dash; none of
them is in the GSM-7 alphabet, so one of them makes the whole text UCS-2 (domain/sms.py),
where one text message holds 70 characters instead of 160. The console's counter mirrors this table
(``static/console.js`` reads it from the page).
"""

PLAIN_FORMS = {
    "\u2018": "'",  # left single quote
    "\u2019": "'",  # right single quote, the apostrophe phones type
    "\u201a": "'",  # low single quote
    "\u201b": "'",  # reversed single quote
    "\u2032": "'",  # prime
    "\u201c": '"',  # left double quote
    "\u201d": '"',  # right double quote
    "\u201e": '"',  # low double quote
    "\u2033": '"',  # double prime
    "\u2013": "-",  # en dash
    "\u2014": "-",  # em dash
    "\u2212": "-",  # minus sign
    "\u2026": "...",  # ellipsis
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space
    "\u2009": " ",  # thin space
}
_TABLE = str.maketrans(PLAIN_FORMS)


def plain_punctuation(text: str) -> str:
    """``text`` with typographic quotes, dashes, ellipses and odd spaces in their plain
    (GSM-7) forms; every other character as it was."""
    return text.translate(_TABLE)
