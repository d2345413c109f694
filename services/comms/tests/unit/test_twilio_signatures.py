"""Callback signatures during an auth-token rotation: old and new both sign genuine
callbacks for a while; nothing else does."""

import pytest
from twilio.request_validator import RequestValidator

from jobline_comms.adapters.twilio_signatures import TwilioSignatures

pytestmark = pytest.mark.unit
URL = "https://comms.example.com/v1/twilio/status?delivery_id=7"
FORM = {"MessageSid": "SM1", "MessageStatus": "delivered"}


def signed_with(token: str) -> str:
    return RequestValidator(token).compute_signature(URL, FORM)


def test_only_the_current_token_without_a_rotation() -> None:
    signatures = TwilioSignatures("new-token")
    assert signatures.valid(URL, FORM, signed_with("new-token"))
    assert not signatures.valid(URL, FORM, signed_with("old-token"))


def test_both_tokens_while_rotating() -> None:
    signatures = TwilioSignatures("new-token", previous="old-token")
    assert signatures.valid(URL, FORM, signed_with("new-token"))
    assert signatures.valid(URL, FORM, signed_with("old-token"))
    assert not signatures.valid(URL, FORM, signed_with("someone-else"))


@pytest.mark.parametrize("signature", ["", "forged"])
def test_a_missing_or_forged_signature(signature: str) -> None:
    assert not TwilioSignatures("new-token", previous="old-token").valid(URL, FORM, signature)


def test_a_changed_form_breaks_the_signature() -> None:
    tampered = {**FORM, "MessageStatus": "failed"}
    assert not TwilioSignatures("new-token").valid(URL, tampered, signed_with("new-token"))


def test_the_exact_url_needs_one_hmac_and_the_port_variants_still_pass() -> None:
    """The exact URL is checked first; a signature over the URL without its default
    port (as Twilio may sign it) is still accepted, through the SDK's validator."""
    with_port = "https://comms.example.com:443/v1/twilio/status?delivery_id=7"
    signatures = TwilioSignatures("new-token", previous="old-token")
    assert signatures.valid(with_port, FORM, signed_with("new-token"))
    assert signatures.valid(with_port, FORM, signed_with("old-token"))
    assert not signatures.valid(with_port, FORM, signed_with("someone-else"))


def test_the_exact_check_agrees_with_the_sdk() -> None:
    form = {**FORM, "Body": "caf\u00e9 & more", "Empty": ""}
    signature = RequestValidator("new-token").compute_signature(URL, form)
    assert TwilioSignatures("new-token").valid(URL, form, signature)
    assert not TwilioSignatures("new-token").valid(URL + "8", form, signature)
