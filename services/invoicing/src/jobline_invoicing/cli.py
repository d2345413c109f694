"""``jobline-invoicing``: run the invoicing service."""

import argparse
import sys

import uvicorn
from pydantic import ValidationError

from jobline_infra import observability
from jobline_invoicing.bootstrap import create_app
from jobline_invoicing.config import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobline-invoicing", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="consume render commands; serve health on HTTP")
    parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"error: invalid settings:\n{error}", file=sys.stderr)  # noqa: T201
        return 2
    observability.setup("invoicing", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=20,
        server_header=False,  # no "server: uvicorn": what runs here is nobody else's business
        log_config=None,  # uvicorn's lines go through the JSON handler too
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
