"""The Dockerfiles, parsed: two stages, uv in the builder, a slim non-root runtime that
holds one service's venv, a health check, its port and its own CLI.

No Docker engine runs here, so the images are not built; the builder stage's uv commands
are replayed against the repository instead (test_image_builds.py)."""

import json
import re
import shlex

import pytest

pytestmark = pytest.mark.unit

IMAGES = ["jobs", "comms", "invoicing", "sandboxes"]
WEASYPRINT_LIBS = {
    "libpango-1.0-0",
    "libpangoft2-1.0-0",
    "libharfbuzz-subset0",
    "fonts-dejavu-core",
}


@pytest.fixture(params=IMAGES)
def image(request, support):
    return support.IMAGES[request.param]


def test_two_stages_uv_builder_and_slim_runtime(image, support):
    stages = support.stages(image.dockerfile)
    named = {s.name: s for s in stages}
    assert {"builder", "runtime"} <= set(named)
    assert stages[-1].name == "runtime"
    assert stages[-1].base.startswith("python:3.11-slim")
    assert named["builder"].base == stages[-1].base, "the venv's interpreter path must match"
    assert any("/uv" in c for c in named["builder"].all("COPY"))


def test_builder_installs_only_its_member_from_the_lock_without_dev(image, support):
    builder = next(s for s in support.stages(image.dockerfile) if s.name == "builder")
    syncs = [r for r in builder.all("RUN") if "uv sync" in r]
    assert syncs
    for command in syncs:
        words = shlex.split(command)
        assert {"--locked", "--no-dev", "--no-editable"} <= set(words)
        assert words[words.index("--package") + 1] == image.package


def test_builder_copies_its_members_sources_and_every_members_metadata(image, support):
    builder = next(s for s in support.stages(image.dockerfile) if s.name == "builder")
    copies = [c.split() for c in builder.all("COPY") if not c.startswith("--from")]
    sources = {c[0].removesuffix("/src") for c in copies if c[0].endswith("/src")}
    assert sources == support.own_members(image.package)
    # uv --locked compares the lock with every member's metadata, so all must be there.
    members = support.workspace()["tool"]["uv"]["workspace"]["members"]
    metadata = {
        c[0].removesuffix("/pyproject.toml") for c in copies if c[0].endswith("/pyproject.toml")
    }
    assert metadata == set(members)
    assert ["pyproject.toml", "uv.lock", "./"] in copies


def test_the_runtime_takes_the_venv_alone_and_runs_as_a_user(image, support):
    runtime = support.stages(image.dockerfile)[-1]
    assert runtime.all("COPY") == ["--from=builder /app/.venv /app/.venv"]
    (user,) = runtime.all("USER")
    uid, _, gid = user.partition(":")
    # Numeric, so Kubernetes' runAsNonRoot can verify it without the image's passwd.
    assert uid.isdigit(), user
    assert gid.isdigit(), user
    assert min(int(uid), int(gid)) >= 1000
    run = " ".join(runtime.all("RUN"))
    assert f"--uid {uid}" in run


def test_health_check_port_and_entrypoint(image, support):
    runtime = support.stages(image.dockerfile)[-1]
    (healthcheck,) = runtime.all("HEALTHCHECK")
    assert " CMD " in f" {healthcheck} "
    assert "NONE" not in healthcheck
    probe = json.loads(healthcheck[healthcheck.index("CMD") + 3 :])
    for port in image.ports[:1]:
        assert f"'{port}'" in probe[-1]
    if image.name != "sandboxes":
        assert "/healthz" in probe[-1]
    # The probe follows the port setting, so it must name a real one.
    named = set(re.findall(r"'(JOBLINE_\w+)'", probe[-1]))
    assert named, "the probe should follow the port setting"
    assert named <= support.env_names_of(image.name)
    (expose,) = runtime.all("EXPOSE")
    assert tuple(map(int, expose.split())) == image.ports
    (entrypoint,) = runtime.all("ENTRYPOINT")
    assert json.loads(entrypoint) == [image.script]
    _, project = support.member_pyprojects()[image.package]
    assert image.script in project["project"]["scripts"]
    (cmd,) = runtime.all("CMD")
    assert json.loads(cmd) == (["twilio"] if image.name == "sandboxes" else ["serve"])


def test_runtime_settings_are_real_settings(image, support):
    runtime = support.stages(image.dockerfile)[-1]
    ours = {k for k in support.env_instructions(runtime) if k.startswith("JOBLINE_")}
    assert ours, "the image must at least listen beyond loopback"
    assert ours <= support.env_names_of(image.name)
    hosts = {k: v for k, v in support.env_instructions(runtime).items() if k.endswith("_HOST")}
    assert hosts, "no *_HOST setting"
    assert set(hosts.values()) == {"0.0.0.0"}  # noqa: S104 - a container listens beyond loopback


def test_only_invoicing_installs_weasyprints_system_libraries(image, support):
    runtime = support.stages(image.dockerfile)[-1]
    installed = {
        word
        for run in runtime.all("RUN")
        if "apt-get install" in run
        for word in re.findall(r"[\w.+-]+", run.split("apt-get install", 1)[1].split("&&")[0])
    }
    if image.name == "invoicing":
        assert installed >= WEASYPRINT_LIBS
    else:
        assert not installed & WEASYPRINT_LIBS


def test_dockerignore_keeps_local_state_out_of_the_context(support):
    ignored = {
        line.strip()
        for line in (support.ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".run", "**/__pycache__", "**/tests"} <= ignored
    for kept in ("uv.lock", "pyproject.toml", "*/src", "**/src", "contracts", "services"):
        assert kept not in ignored


def test_images_use_the_uv_that_the_local_stack_pins(image, support):
    script = (support.ROOT / "deploy/local/install-system.sh").read_text()
    (pinned,) = re.findall(r"^UV_VERSION=([\w.]+)", script, flags=re.MULTILINE)
    (uv_image,) = re.findall(r"^ARG UV_IMAGE=(\S+)$", image.dockerfile.read_text(), re.MULTILINE)
    assert uv_image == f"ghcr.io/astral-sh/uv:{pinned}"
