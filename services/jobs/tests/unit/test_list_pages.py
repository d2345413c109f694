"""The Jobs list's cursors per sort, and the console's pager and caption."""

import base64
import json
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from jobline_jobs.domain.list_sorts import Sort
from jobline_jobs.entrypoints.api import list_cursor
from jobline_jobs.entrypoints.api.errors import ApiError
from jobline_jobs.entrypoints.console.list_state import ListState, caption, pager

AT = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
KEYS = {
    Sort.SCHEDULED: AT,
    Sort.NUMBER: "J-00042",
    Sort.CUSTOMER: "Ada Brook",
    Sort.BALANCE: Decimal("-12.50"),
}


@pytest.mark.parametrize("sort", list(Sort))
def test_a_cursor_gives_back_its_key_in_the_keys_own_type(sort: Sort):
    token = list_cursor.encode(sort, {"sort_key": KEYS[sort], "job_number": "J-00042"}, "q1")
    assert list_cursor.decode(sort, token, "q1") == (KEYS[sort], "J-00042")
    with pytest.raises(ApiError, match="other view or filters"):
        list_cursor.decode(sort, token, "q2")


def _built(raw: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "key", ["NaN", "Infinity", "1e400", "12.5e1", "1" * 30, "twelve", "12.50\u0000"]
)
def test_a_balance_cursor_takes_only_an_amount(key: str):
    with pytest.raises(ApiError, match="not one this API issued"):
        list_cursor.decode(Sort.BALANCE, _built({"t": key, "n": "J-1", "q": "q"}), "q")


@pytest.mark.parametrize(
    "raw",
    [
        {"t": 12, "n": "J-1", "q": "q"},
        {"t": "A", "n": None, "q": "q"},
        {"t": "A\u0000", "n": "J-1", "q": "q"},
        {"t": "\ud800", "n": "J-1", "q": "q"},
        ["A", "J-1", "q"],
        {"s": AT.isoformat(), "n": "J-1", "q": "q"},  # a scheduled cursor
    ],
)
def test_a_text_cursor_refuses_what_it_did_not_write(raw: object):
    with pytest.raises(ApiError, match="not one this API issued"):
        list_cursor.decode(Sort.CUSTOMER, _built(raw), "q")


def _params(url: str | None) -> dict[str, list[str]]:
    assert url is not None
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_the_pager_walks_forward_and_back_with_the_cursors_in_the_url():
    state = ListState("all", sort="-customer", limit=2)
    first = pager(state, None, [], "c2")
    assert (first.number, first.previous_url, first.first_url) == (1, None, None)
    second = pager(state, _params(first.next_url)["cursor"][0], [""], "c3")
    assert second.number == 2
    assert "cursor" not in _params(second.previous_url)  # back to the first page
    third = pager(state, "c3", _params(second.next_url)["prev"], None)
    assert (third.number, third.next_url) == (3, None)
    back = _params(third.previous_url)
    assert (back["cursor"], back["prev"], back["sort"]) == (["c2"], [""], ["-customer"])


def test_the_caption_counts_what_a_search_matches():
    plain = ListState("open_dispatch")
    assert caption(356, plain, {}) == "356 jobs"
    searched = ListState("open_dispatch", q=" smith ")
    assert caption(356, searched, {"count": 8, "more": False}) == "8 of 356 jobs match “smith”"
    one = ListState("all", q="Ada", balance_due=True)
    assert (
        caption(5, one, {"count": 1, "more": False}) == "1 of 5 jobs matches “Ada” and the filters"
    )
    many = ListState("all", technician_id="x")
    assert caption(20_000, many, {"count": 10_000, "more": True}) == (
        "more than 10,000 of 20,000 jobs match the filters"
    )
