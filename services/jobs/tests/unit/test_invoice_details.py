"""What the invoice prints beyond its lines: dated in the tenant's zone, left out when
the tenant set nothing, and tolerant of reads that predate these fields."""

from datetime import UTC, date, datetime
from decimal import Decimal

from jobline_jobs.service_layer.invoice_details import invoice_details

SYDNEY = {"time_zone": "Australia/Sydney", "printed_title": "Tax Invoice"}


def test_the_service_date_and_payment_dates_are_the_tenants_days():
    late = datetime(2025, 3, 17, 14, 30, tzinfo=UTC)  # 01:30 on the 18th in Sydney
    job = {
        "completed_at": late,
        "technician_name": "Kiri Walker",
        "payments": [{"recorded_at": late, "method": "card", "amount": Decimal("10.00")}],
    }
    details = invoice_details(job, SYDNEY)
    assert details["service_date"] == date(2025, 3, 18)
    assert [p.paid_on for p in details["payments"]] == [date(2025, 3, 18)]
    assert details["technician_name"] == "Kiri Walker"
    assert details["invoice_title"] == "Tax Invoice"


def test_no_seller_block_until_the_tenant_sets_a_phone_email_or_tax_id():
    assert invoice_details({}, SYDNEY)["seller"] is None
    seller = invoice_details({}, {**SYDNEY, "tax_id": "51 824 753 556",
                                  "printed_tax_id_label": "ABN"})["seller"]  # fmt: skip
    assert (seller.tax_id, seller.tax_id_label, seller.phone) == ("51 824 753 556", "ABN", None)


def test_reads_without_these_keys_print_none_of_them():
    details = invoice_details({}, {})
    assert details == {
        "invoice_title": None,
        "seller": None,
        "payments": [],
        "service_date": None,
        "technician_name": None,
    }
