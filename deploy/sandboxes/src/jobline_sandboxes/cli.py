"""`jobline-sandbox twilio|sendgrid|smtp`: run one local provider sandbox in the foreground
(`sendgrid-key`: print the SendGrid sandbox's event-signing public key)."""

import argparse
import asyncio
import logging
import signal

import uvicorn

from jobline_sandboxes.sendgrid_sandbox.app import create_app as create_sendgrid_app
from jobline_sandboxes.sendgrid_sandbox.settings import SendgridSandboxSettings
from jobline_sandboxes.sendgrid_sandbox.signing import EventSigner
from jobline_sandboxes.smtp_catcher import SmtpCatcherSettings, start_smtp_catcher
from jobline_sandboxes.twilio_sandbox.app import create_app
from jobline_sandboxes.twilio_sandbox.settings import TwilioSandboxSettings

log = logging.getLogger("jobline_sandboxes")


def run_twilio() -> None:
    """Serve the Twilio-compatible sandbox until SIGINT/SIGTERM."""
    settings = TwilioSandboxSettings.from_env()
    log.info(
        "twilio sandbox on %s:%s, account %s", settings.host, settings.port, settings.account_sid
    )
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def run_sendgrid() -> None:
    """Serve the SendGrid-compatible sandbox until SIGINT/SIGTERM."""
    settings = SendgridSandboxSettings.from_env()
    app = create_sendgrid_app(settings)
    log.info(
        "sendgrid sandbox on %s:%s, events to %s, public key %s",
        settings.host,
        settings.port,
        settings.event_webhook_url or "(none)",
        app.state.sandbox.signer.public_key(),
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def print_sendgrid_key() -> None:
    """Print the public key of JOBLINE_SANDBOX_SENDGRID_KEY_FILE (created if missing), for
    the comms setting JOBLINE_COMMS_SENDGRID_EVENT_PUBLIC_KEY."""
    key_file = SendgridSandboxSettings.from_env().key_file
    if key_file is None:
        raise ValueError("JOBLINE_SANDBOX_SENDGRID_KEY_FILE is not set")
    print(EventSigner.from_file(key_file).public_key())  # noqa: T201 - the command's output


async def _serve_smtp(settings: SmtpCatcherSettings) -> None:
    server = await start_smtp_catcher(settings)
    log.info("smtp catcher on %s:%s, mail in %s", settings.host, settings.port, settings.mail_dir)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


def run_smtp() -> None:
    """Serve the SMTP catcher until SIGINT/SIGTERM."""
    asyncio.run(_serve_smtp(SmtpCatcherSettings.from_env()))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `jobline-sandbox` console script."""
    parser = argparse.ArgumentParser(prog="jobline-sandbox", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("twilio", help="the Twilio-compatible HTTP sandbox (port 8025)")
    commands.add_parser("sendgrid", help="the SendGrid-compatible HTTP sandbox (port 8026)")
    commands.add_parser("sendgrid-key", help="print the SendGrid sandbox's event public key")
    commands.add_parser("smtp", help="the SMTP catcher (port 1025)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection
    try:
        commands_ = {
            "twilio": run_twilio,
            "sendgrid": run_sendgrid,
            "sendgrid-key": print_sendgrid_key,
            "smtp": run_smtp,
        }
        commands_[args.command]()
    except ValueError as error:  # a malformed setting: say which, without a traceback
        parser.exit(2, f"jobline-sandbox {args.command}: {error}\n")


if __name__ == "__main__":
    main()
