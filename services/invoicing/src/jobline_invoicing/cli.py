"""``jobline-invoicing``: run the invoicing service."""

import argparse
import logging
import sys

import uvicorn

from jobline_invoicing.config import Settings
from jobline_invoicing.entrypoints.http import build_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobline-invoicing", description=__doc__)
    parser.add_argument("command", choices=["serve"], help="run the service")
    parser.parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level)
    uvicorn.run(
        build_app(),
        host=settings.http_host,
        port=settings.http_port,
        log_level=settings.log_level.lower(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
