"""``jobline-comms``: run the comms service."""

import argparse
import logging
import sys

import uvicorn
from pydantic import ValidationError

from jobline_comms.bootstrap import create_app
from jobline_comms.config import Settings
from jobline_infra import observability


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobline-comms", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="consume send commands; serve Twilio callbacks on HTTP")
    parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"error: invalid settings:\n{error}", file=sys.stderr)  # noqa: T201
        return 2
    # JSON lines with personal data masked; the auth token is masked wherever it shows.
    observability.setup(
        "comms",
        settings.log_level,
        secrets=tuple(
            token.get_secret_value()
            for token in (settings.twilio_auth_token, settings.twilio_previous_auth_token)
            if token is not None
        ),
    )
    # The twilio SDK logs every request with its form body (phone numbers, texts) at INFO;
    # customers' personal data stays out of our logs.
    logging.getLogger("twilio").setLevel(logging.WARNING)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=20,
        server_header=False,  # no "server: uvicorn": what runs here is nobody else's business
        log_config=None,  # uvicorn's lines go through the JSON handler too
        # Two Twilio callbacks per text: a line for each was ~5 % of a worker's time; they
        # are counted by status in /metrics, and each delivery's outcome is logged once.
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
