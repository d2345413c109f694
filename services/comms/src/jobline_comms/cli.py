"""``jobline-comms``: run the comms service."""

import argparse
import logging
import sys

import uvicorn

from jobline_comms.config import Settings
from jobline_comms.entrypoints.http import build_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jobline-comms", description=__doc__)
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
