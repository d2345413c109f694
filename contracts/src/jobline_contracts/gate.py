"""The compatibility gate: every schema under ``contracts/schemas`` against every released
version of it under ``contracts/released/<version>/``, in its topic's mode.

A release is a frozen copy of ``contracts/schemas`` cut by ``jobline-contracts release``
(``make release-contracts``). Released files never change: a change the gate refuses
ships as a new type or topic version (``v2``), see docs/contracts.md.
"""

import json
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from jobline_contracts.compat import Break, Mode, breaks
from jobline_contracts.schema_export import SCHEMAS_DIR
from jobline_contracts.topics import TOPICS, TopicSpec

RELEASED_DIR = PurePosixPath("contracts/released")
JOBLINE_SERVICES = frozenset({"jobs", "comms", "invoicing"})

WHY = {
    Mode.BACKWARD_TRANSITIVE: "Jobline must read every fact an older schema allowed",
    Mode.FORWARD_TRANSITIVE: "consumers on older schemas must read every new event",
    Mode.FULL_TRANSITIVE: "old and new Jobline services read each other's messages both ways"
    " during a rolling deploy and a replay",
}
WAY_OUT = """\
The way out (docs/contracts.md, "Breaking a contract"): keep the released shape (make the
field optional, keep the old bound or value), or publish the change as a new message type
or topic version (v2) beside the old one. If the release named above was cut on this
branch and never published, re-cut it instead: `make release-contracts AMEND=1`."""


def mode_of(spec: TopicSpec) -> Mode:
    """Facts from outside are read by Jobline: BACKWARD. Topics other teams consume:
    FORWARD. Topics only Jobline's own services produce and consume: FULL."""
    if _party(spec.producer) not in JOBLINE_SERVICES:
        return Mode.BACKWARD_TRANSITIVE
    if any(_party(c) not in JOBLINE_SERVICES for c in spec.consumers):
        return Mode.FORWARD_TRANSITIVE
    return Mode.FULL_TRANSITIVE


def _party(name: str) -> str:
    return name.split(maxsplit=1)[0]


@dataclass(frozen=True)
class Violation:
    """A break of one schema against one release."""

    schema: PurePosixPath
    release: str
    mode: Mode
    found: Break

    def __str__(self) -> str:
        b = self.found
        return (
            f"{self.schema}: {b.field}: {b.rule} ({b.detail}) against release {self.release}"
            f" — {self.mode}: {WHY[self.mode]}"
        )


def releases(root: Path) -> list[str]:
    """The released versions, oldest first."""
    folder = root / RELEASED_DIR
    names = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    return sorted(names, key=_version_key)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        raise ValueError(f"{RELEASED_DIR}/{version}: not a release version (1.2.3)") from None


def check(root: Path, skip: str | None = None) -> list[str]:
    """One line per incompatibility of the current schemas with any release but ``skip``."""
    modes = {spec.name: mode_of(spec) for spec in TOPICS}
    problems: list[str] = []
    for version in releases(root):
        if version == skip:
            continue
        base = root / RELEASED_DIR / version
        for released in sorted(base.rglob("*.json")):
            relative = released.relative_to(base)
            current = root / SCHEMAS_DIR / relative
            schema = SCHEMAS_DIR / PurePosixPath(relative.as_posix())
            mode = modes.get(relative.parts[0])
            if mode is None or not current.is_file():
                problems.append(
                    f"{schema}: message type removed against release {version} — a released"
                    " type stays until its topic version is retired"
                )
                continue
            old, new = json.loads(released.read_bytes()), json.loads(current.read_bytes())
            problems += [str(Violation(schema, version, mode, b)) for b in breaks(mode, old, new)]
    return problems


def release(root: Path, version: str, *, amend: bool = False) -> list[str]:
    """Copy ``contracts/schemas`` to ``contracts/released/<version>``; one line each.

    Refuses (ValueError) when the schemas break an earlier release, or when the version was
    released with other content and ``amend`` is not set.
    """
    _version_key(version)
    target = root / RELEASED_DIR / version
    source = root / SCHEMAS_DIR
    if target.exists() and not amend:
        if _same_tree(source, target):
            return [f"release {version} is already cut; nothing to do"]
        raise ValueError(
            f"release {version} exists with other schemas: released files never change."
            " Bump the version in contracts/pyproject.toml, or, only if that release was"
            " never published, re-cut it with AMEND=1"
        )
    problems = check(root, skip=version)
    if problems:
        raise ValueError("\n".join([*problems, WAY_OUT]))
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    return [f"released {version}: {len(list(target.rglob('*.json')))} schemas in {target}"]


def _same_tree(left: Path, right: Path) -> bool:
    def files(base: Path) -> dict[Path, bytes]:
        return {p.relative_to(base): p.read_bytes() for p in base.rglob("*.json")}

    return files(left) == files(right)
