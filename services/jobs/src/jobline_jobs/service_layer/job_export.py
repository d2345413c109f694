"""The Jobs list's CSV export: its columns, in order (``JobLists.export`` yields each
job's values in this order, as text)."""

EXPORT_COLUMNS = (
    "number",
    "id",
    "summary",
    "step",
    "scheduled_start",
    "scheduled_end",
    "completed_at",
    "deferred_at",
    "deferral_reason",
    "customer",
    "property",
    "technician",
    "currency",
    "total",
    "amount_paid",
    "balance_due",
    "due_to_bill_on",
)
