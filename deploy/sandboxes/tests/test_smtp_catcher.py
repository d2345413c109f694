"""The SMTP catcher driven by aiosmtplib, as the comms service drives it."""

import email
import os
from email.message import EmailMessage
from email.policy import default

import aiosmtplib
import pytest

pytestmark = pytest.mark.integration

SENDER = "jobs@jobline.test"


def message(subject="Your invoice", attachment=None):
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = "customer@example.com"
    msg["Subject"] = subject
    msg.set_content("Please find your invoice attached.")
    if attachment is not None:
        msg.add_attachment(
            attachment, maintype="application", subtype="pdf", filename="invoice.pdf"
        )
    return msg


async def deliver(catcher, msg, recipients):
    return await aiosmtplib.send(
        msg, sender=SENDER, recipients=recipients, hostname="127.0.0.1", port=catcher.port
    )


def stored(catcher):
    return sorted(catcher.mail_dir.glob("*.eml"))


async def test_message_lands_as_eml_with_byte_identical_attachment(smtp_catcher):
    attachment = os.urandom(200_000) + b"\r\n.\r\n..\n"  # dot-stuffing and line ends survive
    recipients = ["customer@example.com", "owner@example.com"]

    await deliver(smtp_catcher, message(attachment=attachment), recipients)

    [eml] = stored(smtp_catcher)
    parsed = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert parsed["X-Sandbox-Rcpt-To"] == "customer@example.com, owner@example.com"
    assert parsed["X-Sandbox-Mail-From"] == SENDER
    assert parsed["Subject"] == "Your invoice"
    [part] = list(parsed.iter_attachments())
    assert part.get_filename() == "invoice.pdf"
    assert part.get_content() == attachment


async def test_bounce_recipient_is_refused_with_550(smtp_catcher):
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await deliver(smtp_catcher, message(), ["bounce-1@example.com"])
    [recipient] = refused.value.recipients
    assert recipient.code == 550
    assert "5.1.1 mailbox unavailable" in recipient.message
    assert stored(smtp_catcher) == []


async def test_tempfail_recipient_is_deferred_with_451(smtp_catcher):
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await deliver(smtp_catcher, message(), ["tempfail@example.com"])
    [recipient] = refused.value.recipients
    assert recipient.code == 451
    assert "4.3.0" in recipient.message


async def test_reject_file_is_read_on_each_recipient(smtp_catcher):
    reject = smtp_catcher.mail_dir / "reject.txt"
    reject.write_text("Blocked@Example.com\n\n")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await deliver(smtp_catcher, message(), ["blocked@example.com"])
    assert refused.value.recipients[0].code == 550

    reject.write_text("")
    await deliver(smtp_catcher, message(), ["blocked@example.com"])
    assert len(stored(smtp_catcher)) == 1


async def test_partly_refused_message_keeps_only_accepted_recipients(smtp_catcher):
    errors, _ = await deliver(smtp_catcher, message(), ["ok@example.com", "bounce@example.com"])

    assert errors["bounce@example.com"].code == 550
    [eml] = stored(smtp_catcher)
    parsed = email.message_from_bytes(eml.read_bytes(), policy=default)
    assert parsed["X-Sandbox-Rcpt-To"] == "ok@example.com"


async def test_file_names_sort_in_arrival_order(smtp_catcher):
    for subject in ("one", "two", "three"):
        await deliver(smtp_catcher, message(subject=subject), ["customer@example.com"])

    subjects = [
        email.message_from_bytes(eml.read_bytes(), policy=default)["Subject"]
        for eml in stored(smtp_catcher)
    ]
    assert subjects == ["one", "two", "three"]
