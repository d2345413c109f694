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
