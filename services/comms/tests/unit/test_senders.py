"""Who an email is from: the business's name always, its own address only where this
deployment may send for its domain (else the configured sender's, with Reply-To)."""

import pytest

from jobline_comms.domain.senders import Senders

pytestmark = pytest.mark.unit
DEPLOYMENT = "Jobline <no-reply@mail.jobline.example>"


def senders(*domains: str) -> Senders:
    return Senders("+15005550000", DEPLOYMENT, sending_domains=frozenset(domains))


def test_a_business_on_a_sending_domain_sends_from_its_own_address():
    sent = senders("acme.example").email_from("acme", "Acme Plumbing", "office@Acme.example")
    assert sent == "Acme Plumbing <office@Acme.example>"


def test_elsewhere_the_business_name_goes_with_the_deployment_address():
    sent = senders("acme.example").email_from("bolt", "Bolt HVAC", "office@bolt.example")
    assert sent == "Bolt HVAC <no-reply@mail.jobline.example>"


def test_any_domain_locally():
    assert senders("*").email_from("bolt", "Bolt HVAC", "office@bolt.example") == (
        "Bolt HVAC <office@bolt.example>"
    )


def test_without_a_business_the_configured_sender_stays():
    assert senders().email_from("acme", None, None) == DEPLOYMENT
    assert senders().email_from("acme", "A, B & Sons", None) == (
        '"A, B & Sons" <no-reply@mail.jobline.example>'
    )
