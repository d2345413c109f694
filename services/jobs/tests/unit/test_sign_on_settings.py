"""What an admin may give as the issuer: an https URL without query or fragment; plain
http only on this machine, and only where the deployment allows it (development), so a
tenant's admin cannot make the server probe its own ports. A blank secret keeps the old."""

import pytest

from jobline_jobs.service_layer.sign_on_ports import SignOnChange
from jobline_jobs.service_layer.sign_on_settings import SettingRefused, checked

TYPED = " s p "


def _change(issuer: str, secret: str | None = TYPED) -> SignOnChange:
    return SignOnChange("acme", issuer, " jobline ", secret, None, "admin:x")


@pytest.mark.parametrize(
    "issuer",
    [
        "http://127.0.0.1:9000",
        "http://id.example.com",
        "https://id.example.com?x=1",
        "https://id.example.com#top",
        "https://",
        "id.example.com",
        "http://[::1",
    ],
)
def test_what_is_not_an_issuer_url_is_refused_by_name(issuer: str) -> None:
    with pytest.raises(SettingRefused) as refused:
        checked(_change(issuer), plain_loopback=False)
    assert refused.value.code == "invalid_issuer"
    assert refused.value.message.startswith("The issuer URL must start with https://")


def test_plain_http_on_this_machine_only_where_allowed() -> None:
    kept = checked(_change(" http://127.0.0.1:9000 "), plain_loopback=True)
    assert kept.issuer == "http://127.0.0.1:9000"
    assert kept.client_id == "jobline"
    with pytest.raises(SettingRefused):
        checked(_change("http://id.example.com"), plain_loopback=True)


def test_a_blank_secret_keeps_the_stored_one_and_a_typed_one_is_kept_as_typed() -> None:
    assert (
        checked(_change("https://id.example.com", "  "), plain_loopback=False).client_secret is None
    )
    typed = checked(_change("https://id.example.com"), plain_loopback=False)
    assert typed.client_secret == TYPED
