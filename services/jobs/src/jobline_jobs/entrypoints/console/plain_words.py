"""The API's refusals as sentences an office person reads.

The API keeps its codes and its exact messages for machines; the console shows the same
refusal without field paths, validator wording or step codes: "Choose at least one
recipient." instead of "recipient_ids: List should have at least 1 item after validation,
not 0", "the job is In progress" instead of "the job is in_progress".
"""

import re
from typing import Any

from jobline_jobs.domain.workflow import Step

# Fields whose plain name is not their code with spaces.
FIELD_NAMES = {
    "recipient_ids": "recipient",
    "attachments": "attachment",
    "send_at": "send time",
    "original_job_id": "original job",
    "bill_on": "bill date",
    "body": "message",
    "q": "search",
}
_STEP = re.compile(r"\b(" + "|".join(step.value for step in Step) + r")\b")
_FIELD_PREFIX = re.compile(r"^([a-z][a-z0-9_]*)(?:\.[a-z0-9_]+)*: (.+)$", re.DOTALL)
_AT_MOST = re.compile(r"at most (\d+)")
# A validator's message that needs its field in front to be a sentence ("must be one line").
_PREDICATES = ("must ", "may ", "is ", "should ", "cannot ")


def field_name(code: str) -> str:
    """``brand_colour`` → ``brand colour``; ``recipient_ids`` → ``recipient``."""
    return FIELD_NAMES.get(code, code.removesuffix("_id").replace("_", " "))


def step_words(text: str) -> str:
    """Step codes in a message as the list names the steps (``in_progress`` → In progress)."""
    return _STEP.sub(lambda m: Step(m.group(1)).value.replace("_", " "), text)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."


def _field_of(loc: list[Any]) -> str | None:
    names = [p for p in loc if isinstance(p, str) and p not in {"body", "query", "path"}]
    return field_name(names[0]) if names else None


def _invalid_field(error: dict[str, Any]) -> str:
    """One validation error of the API as a sentence."""
    field, kind, said = _field_of(error.get("loc", [])), error.get("type", ""), error.get("msg", "")
    if field is None:
        return _sentence(said.removeprefix("Value error, "))
    if kind == "missing":
        return f"Fill in the {field}."
    if kind == "too_short" and said.startswith("List"):
        return f"Choose at least one {field}."
    if kind in {"string_too_long", "too_long"} and (limit := _AT_MOST.search(said)):
        return f"The {field} is too long: at most {limit.group(1)} allowed."
    if kind == "value_error":
        said = said.removeprefix("Value error, ")
        return _sentence(f"{field} {said}" if said.startswith(_PREDICATES) else said)
    return f"The {field} is not valid."


def sentence(code: str, message: str, details: Any) -> str:  # noqa: ANN401 - the API's JSON
    """What the console shows for an API refusal with ``code``, ``message`` and ``details``."""
    if code == "invalid_request" and isinstance(details, list) and details:
        return " ".join(
            dict.fromkeys(_invalid_field(e) for e in details[:3] if isinstance(e, dict))
        )
    plain = step_words(message)
    if found := _FIELD_PREFIX.match(plain):
        plain = f"{field_name(found.group(1))} {found.group(2)}"
    return _sentence(plain)
