"""`jobline-sandbox twilio|smtp`: run one local provider sandbox in the foreground."""

import argparse
import asyncio
import logging
import signal

import uvicorn

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
    commands.add_parser("smtp", help="the SMTP catcher (port 1025)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every connection
    try:
        {"twilio": run_twilio, "smtp": run_smtp}[args.command]()
    except ValueError as error:  # a malformed setting: say which, without a traceback
        parser.exit(2, f"jobline-sandbox {args.command}: {error}\n")


if __name__ == "__main__":
    main()
