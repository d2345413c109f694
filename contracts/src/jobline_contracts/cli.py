"""``jobline-contracts``: write the generated contract artefacts, check them, release them.

``jobline-contracts export`` writes ``contracts/schemas/**`` and ``docs/asyncapi.yaml``
under ``--root``; with ``--check`` it writes nothing and exits 1 when a committed file
differs from a fresh generation, is missing, or is stale (no longer generated).
``jobline-contracts compat`` is the compatibility gate (:mod:`jobline_contracts.gate`):
exit 1, naming schema, field and rule, when a schema breaks a released version.
``jobline-contracts release`` cuts ``contracts/released/<version>``.
"""

import argparse
import sys
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from jobline_contracts import asyncapi, gate
from jobline_contracts.schema_export import SCHEMAS_DIR, export_all, render_json

ASYNCAPI_PATH = PurePosixPath("docs/asyncapi.yaml")


def generated_files() -> dict[PurePosixPath, str]:
    """Every generated file's text, keyed by its path relative to the repo root."""
    files = {path: render_json(schema) for path, schema in export_all().items()}
    files[ASYNCAPI_PATH] = asyncapi.render()
    return files


def stale_files(root: Path, expected: dict[PurePosixPath, str]) -> list[PurePosixPath]:
    """Committed schema files that are no longer generated (a type was removed)."""
    found = {
        PurePosixPath(p.relative_to(root).as_posix()) for p in (root / SCHEMAS_DIR).rglob("*.json")
    }
    return sorted(found - expected.keys())


def check(root: Path) -> list[str]:
    """One line per file that is missing, differs or is stale; empty when all agree."""
    expected = generated_files()
    problems = []
    for path, text in expected.items():
        target = root / path
        if not target.is_file():
            problems.append(f"missing {path}")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"differs {path}")
    problems += [f"stale {path}" for path in stale_files(root, expected)]
    return problems


def export(root: Path) -> list[str]:
    """Write every generated file under ``root`` and delete stale schemas; one line each."""
    expected = generated_files()
    lines = []
    for path, text in expected.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps "\n" on every platform: the drift check compares exact text.
        with target.open("w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        lines.append(f"wrote {path}")
    for path in stale_files(root, expected):
        target = root / path
        target.unlink()
        if not any(target.parent.iterdir()):  # a whole topic went away
            target.parent.rmdir()
        lines.append(f"removed {path}")
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobline-contracts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    export_cmd = commands.add_parser("export", help="write JSON Schemas and the AsyncAPI doc")
    export_cmd.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any file would change"
    )
    compat_cmd = commands.add_parser("compat", help="check schemas against every release")
    release_cmd = commands.add_parser("release", help="cut contracts/released/<version>")
    release_cmd.add_argument(
        "--version",
        default=version("jobline-contracts"),
        help="the release (default: the jobline-contracts package version)",
    )
    release_cmd.add_argument(
        "--amend", action="store_true", help="re-cut a release that was never published"
    )
    for command in (export_cmd, compat_cmd, release_cmd):
        command.add_argument(
            "--root", type=Path, default=Path(), help="repository root (default: current dir)"
        )
    return parser


def _compat(root: Path) -> int:
    problems = gate.check(root)
    for line in problems:
        print(line)  # noqa: T201
    if problems:
        print(gate.WAY_OUT, file=sys.stderr)  # noqa: T201
        return 1
    count = len(gate.releases(root))
    print(f"contracts compatible with {count} release(s)")  # noqa: T201
    return 0


def _release(root: Path, name: str, *, amend: bool) -> int:
    drift = check(root)
    if drift:
        print("\n".join(drift), file=sys.stderr)  # noqa: T201
        print("run `make contracts` first: a release copies the generated schemas", file=sys.stderr)  # noqa: T201
        return 1
    try:
        lines = gate.release(root, name, amend=amend)
    except ValueError as refused:
        print(refused, file=sys.stderr)  # noqa: T201
        return 1
    for line in lines:
        print(line)  # noqa: T201
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``jobline-contracts`` console script."""
    args = _parser().parse_args(argv)
    root: Path = args.root
    if args.command == "compat":
        return _compat(root)
    if args.command == "release":
        return _release(root, args.version, amend=args.amend)
    if args.check:
        problems = check(root)
        for line in problems:
            print(line)  # noqa: T201 -- a CLI reports on stdout
        if problems:
            print(  # noqa: T201
                "generated contract files are out of date: run `jobline-contracts export`",
                file=sys.stderr,
            )
            return 1
        return 0
    for line in export(root):
        print(line)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
