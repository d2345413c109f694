"""Unsigned webhook bodies far over the 64 KiB webhook limit: refused with 413 before
anything parses them or checks a signature, so comms' memory and temp directory stay put."""

import pytest

from jobline_testing.hostile import post_huge
from jobline_testing.services import ServiceProcess

pytestmark = [pytest.mark.e2e]

TWO_HUNDRED_MB = 200 * 1024 * 1024
WEBHOOKS = ["/v1/twilio/inbound", "/v1/twilio/status"]


@pytest.mark.parametrize("framing", ["declared", "chunked"])
async def test_a_200_mb_unsigned_webhook_body_is_refused_with_413(
    comms_service: ServiceProcess, framing: str
):
    rss, temp = comms_service.rss_bytes(), comms_service.temp_bytes()
    for webhook in WEBHOOKS:
        status = await post_huge(
            comms_service.url, webhook, TWO_HUNDRED_MB, chunked=framing == "chunked"
        )
        # Unlength-declared, an unsigned call may be refused (403) before its body is read.
        assert status == 413 if framing == "declared" else 400 <= status < 500, (
            f"{webhook}: {status}"
        )
    grown = comms_service.rss_bytes() - rss
    assert grown <= 20 * 1024 * 1024, f"RSS grew by {grown / 2**20:.0f} MiB"
    assert comms_service.temp_bytes() == temp
