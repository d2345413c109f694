"""Each Dockerfile's builder stage, replayed without Docker: its COPY lines fill a scratch
build context from the repository, its `uv sync` lines run there offline (from the uv
cache that `make install` filled), and the venv they produce is the one the runtime stage
would copy. So a new workspace member, a stale lock or a missing source folder fails here,
and "only this service's dependencies" is checked on the installed distributions."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.markers import Marker

pytestmark = pytest.mark.integration  # no Kafka or PostgreSQL, but subprocesses and files

IMAGES = ["jobs", "comms", "invoicing", "sandboxes"]
# Never in an image: the dev group's tools and the other services' heavy dependencies.
FORBIDDEN = {
    "jobs": {"weasyprint", "twilio", "aiosmtplib", "aiosmtpd"},
    "comms": {"weasyprint", "jinja2", "babel", "aiosmtpd"},
    # (asyncpg comes with jobline-infra, whose migrations and outbox need it.)
    "invoicing": {"twilio", "aiohttp", "aiosmtplib", "aiosmtpd"},
    "sandboxes": {"weasyprint", "asyncpg", "faststream"},
}
DEV_TOOLS = {"pytest", "ruff", "mypy", "testcontainers", "hypothesis", "schemathesis", "pypdf"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _uv_env(venv: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "VIRTUAL_ENV"))}
    env.pop("PYTHONPATH", None)
    # As the Dockerfile's ENV, but offline and without compiling bytecode (speed only).
    return env | {
        "UV_PROJECT_ENVIRONMENT": str(venv),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_OFFLINE": "1",
        "UV_NO_PROGRESS": "1",
    }


def _copy(root: Path, context: Path, instruction: str) -> None:
    *sources, destination = instruction.split()
    for source in sources:
        origin = root / source
        if origin.is_dir():
            target = context / destination
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(origin, target, ignore=ignore, dirs_exist_ok=True)
        else:
            target_dir = context / destination
            target_dir.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target_dir / origin.name)


def _installed(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python3*/site-packages")
    return {_normal(p.name.split("-")[0]) for p in site.glob("*.dist-info")}


def _locked(root: Path, package: str, env: dict[str, str]) -> set[str]:
    """What uv.lock says ``package`` needs at run time, workspace members included."""
    exported = subprocess.run(
        ["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--package", package],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    names = set()
    for raw in exported.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-e ", "./", "-e./")):
            path = line.removeprefix("-e").strip()
            names.add(_normal(path.rstrip("/").split("/")[-1]))  # a member's folder
        else:
            requirement, _, marker = line.partition(";")
            # Markers are judged here: this machine is the image's platform and Python.
            if not marker.strip() or Marker(marker.strip()).evaluate():
                names.add(_normal(re.split(r"[=<>\[ ]", requirement, maxsplit=1)[0]))
    return names


@pytest.mark.parametrize("name", IMAGES)
def test_the_builder_stage_installs_the_service_and_nothing_else(name, support, tmp_path):
    image = support.IMAGES[name]
    builder = next(s for s in support.stages(image.dockerfile) if s.name == "builder")
    context, venv = tmp_path / "src", tmp_path / "app" / ".venv"
    context.mkdir()
    env = _uv_env(venv)
    syncs = 0
    for item in builder.instructions:
        value = item["value"]
        if item["instruction"] == "COPY" and not value.startswith("--from"):
            _copy(support.ROOT, context, value)
        elif item["instruction"] == "RUN" and "uv sync" in value:
            command = shlex.split(value[value.index("uv sync") :])
            done = subprocess.run(
                command, cwd=context, env=env, capture_output=True, text=True, check=False
            )
            assert done.returncode == 0, f"{shlex.join(command)}:\n{done.stderr}"
            syncs += 1
    assert syncs == 2

    installed = _installed(venv)
    members = {_normal(m.split("/")[-1]) for m in support.own_members(image.package)}
    locked = _locked(support.ROOT, image.package, env)
    # Members are named by folder in the export and by distribution once installed.
    dists = {_normal(n) for n in support.member_pyprojects()}
    assert installed - dists == locked - members - dists
    assert {_normal(image.package)} <= installed
    assert not installed & (FORBIDDEN[name] | DEV_TOOLS)

    # Package data (SQL migrations, templates, fonts) travels in the wheels.
    (site,) = venv.glob("lib/python3*/site-packages")
    for member in support.own_members(image.package):
        source = support.ROOT / member / "src"
        for path in source.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert (site / path.relative_to(source)).is_file(), f"{path} is not installed"

    # The runtime stage gets the venv alone: without the build context, the console
    # script must still import everything it needs.
    shutil.rmtree(context)
    script = venv / "bin" / image.script
    done = subprocess.run(
        [str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
