"""What the Jobs list page shows: its view, search, filters and sort as they travel in
the page's URL and as the API takes them, and the pages walked so far.

The API's cursors only go forward, so the URL keeps the cursors of the pages before this
one (``prev``, "" for the first page): Previous is the last of them, the page number is
how many there are plus one."""

from dataclasses import dataclass
from urllib.parse import urlencode

# The sort drop-down: its value ("-" for descending) -> the API's sort, order, label.
SORTS: dict[str, tuple[str, str, str]] = {
    "scheduled": ("scheduled", "asc", "Scheduled time, earliest first"),
    "-scheduled": ("scheduled", "desc", "Scheduled time, latest first"),
    "number": ("number", "asc", "Job number, lowest first"),
    "-number": ("number", "desc", "Job number, highest first"),
    "customer": ("customer", "asc", "Customer, A to Z"),
    "-customer": ("customer", "desc", "Customer, Z to A"),
    "balance": ("balance", "asc", "Balance, smallest first"),
    "-balance": ("balance", "desc", "Balance, largest first"),
}


@dataclass(frozen=True)
class ListState:
    view: str
    q: str = ""
    sort: str = "scheduled"
    technician_id: str = ""
    scheduled_from: str = ""
    scheduled_to: str = ""
    balance_due: bool = False
    limit: int = 25

    def api_filters(self) -> dict[str, str]:
        """The API's parameters for this view, search, filters and sort (no paging)."""
        sort, order, _label = SORTS.get(self.sort, SORTS["scheduled"])
        params = {
            "view": self.view,
            "q": self.q,
            "technician_id": self.technician_id,
            "scheduled_from": self.scheduled_from,
            "scheduled_to": self.scheduled_to,
            "balance_due": "true" if self.balance_due else "",
            "sort": sort,
            "order": order,
        }
        return {name: value for name, value in params.items() if value}

    @property
    def filtered(self) -> bool:
        """A search or a filter narrows the view (its count is no longer the view's)."""
        narrowing = (self.technician_id, self.scheduled_from, self.scheduled_to)
        return bool(self.q.strip() or any(narrowing) or self.balance_due)

    def url(self, cursor: str | None = None, prev: list[str] | None = None) -> str:
        here: dict[str, object] = {
            "view": self.view,
            "q": self.q,
            "sort": self.sort,
            "technician_id": self.technician_id,
            "scheduled_from": self.scheduled_from,
            "scheduled_to": self.scheduled_to,
            "limit": self.limit,
        }
        if self.balance_due:
            here["balance_due"] = "true"
        if cursor:
            here["cursor"] = cursor
        if prev:
            here["prev"] = prev
        kept = {k: v for k, v in here.items() if v not in ("", None)}
        return "/?" + urlencode(kept, doseq=True)

    def export_url(self) -> str:
        return "/console/jobs/export.csv?" + urlencode(self.api_filters())


@dataclass(frozen=True)
class Pager:
    number: int
    self_url: str
    first_url: str | None
    previous_url: str | None
    next_url: str | None


def pager(state: ListState, cursor: str | None, prev: list[str], next_cursor: str | None) -> Pager:
    """This page's number and the links around it."""
    back = prev[-1] if prev else None
    return Pager(
        number=len(prev) + 1 if cursor else 1,
        self_url=state.url(cursor, prev),
        first_url=state.url() if cursor else None,
        previous_url=state.url(back or None, prev[:-1]) if cursor else None,
        next_url=state.url(next_cursor, [*prev, cursor or ""]) if next_cursor else None,
    )


def caption(view_count: int, state: ListState, matching: dict[str, object]) -> str:
    """What follows the view's name: "356 jobs", or with a search or filters, how many of
    them match ("8 of 356 jobs match “smith”")."""
    if not state.filtered:
        return f"{view_count:,} {'job' if view_count == 1 else 'jobs'}"
    n = int(str(matching["count"]))
    many = "more than " if matching["more"] else ""
    verb = "matches" if n == 1 and not many else "match"
    noun = "job" if view_count == 1 else "jobs"
    q = state.q.strip()
    others = bool(state.technician_id or state.scheduled_from or state.scheduled_to)
    others = others or state.balance_due
    what = " and ".join(
        part for part, shown in ((f"“{q}”", bool(q)), ("the filters", others)) if shown
    )
    return f"{many}{n:,} of {view_count:,} {noun} {verb} {what}"
