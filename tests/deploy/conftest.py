"""What the deploy tests read: the manifests, the Dockerfiles, the workspace, the settings.

Everything here is offline: the schemas are vendored (tests/deploy/schemas) or shipped by
a dev dependency (kubernetes-validate), and the settings' names come from the services'
own config classes, so a renamed setting fails here before it fails in a cluster.
"""

import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from jobline_comms.config import Settings as CommsSettings
from jobline_invoicing.config import Settings as InvoicingSettings
from jobline_jobs.config import Settings as JobsSettings
from jobline_sandboxes.smtp_catcher import SmtpCatcherSettings
from jobline_sandboxes.twilio_sandbox.settings import TwilioSandboxSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).parent / "schemas"


@dataclass(frozen=True)
class Image:
    """One of our images: its Dockerfile, its workspace member and what it listens on."""

    name: str
    dockerfile: Path
    package: str
    script: str
    ports: tuple[int, ...]


IMAGES = {
    "jobs": Image(
        "jobs", ROOT / "services/jobs/Dockerfile", "jobline-jobs", "jobline-jobs", (8000,)
    ),
    "comms": Image(
        "comms", ROOT / "services/comms/Dockerfile", "jobline-comms", "jobline-comms", (8001,)
    ),
    "invoicing": Image(
        "invoicing",
        ROOT / "services/invoicing/Dockerfile",
        "jobline-invoicing",
        "jobline-invoicing",
        (8002,),
    ),
    "sandboxes": Image(
        "sandboxes",
        ROOT / "deploy/sandboxes/Dockerfile",
        "jobline-sandboxes",
        "jobline-sandbox",
        (8025, 1025),
    ),
}
SERVICE_SETTINGS: dict[str, type[BaseSettings]] = {
    "jobs": JobsSettings,
    "comms": CommsSettings,
    "invoicing": InvoicingSettings,
}


def settings_env_names(settings: type[BaseSettings]) -> set[str]:
    """Every environment variable a pydantic-settings class reads."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    names = set()
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        nested = field.annotation
        if isinstance(nested, type) and issubclass(nested, BaseSettings):
            names |= settings_env_names(nested)  # read by its own class, e.g. JOBLINE_KAFKA_*
        elif isinstance(alias, AliasChoices):
            names |= {choice for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add((prefix + name).upper())
    return names


class _Recording(dict[str, str]):
    """An empty environment that remembers which names were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def sandbox_env_names() -> set[str]:
    """The names the sandboxes read: asked of an empty, recording environment."""
    names: set[str] = set()
    for reader in (TwilioSandboxSettings.from_env, SmtpCatcherSettings.from_env):
        env = _Recording()
        reader(env)
        names |= env.asked
    return names


def obstore_env_names() -> set[str]:
    """The AWS_* variables obstore documents for its S3 store (credentials, region)."""
    stub = files("obstore").joinpath("_store", "_aws.pyi").read_text()
    return set(re.findall(r"`(AWS_[A-Z0-9_]+)`", stub))


def observability_env_names() -> set[str]:
    """Logs and traces: the shared JOBLINE_* settings and the OpenTelemetry SDK's OTEL_*."""
    try:
        from opentelemetry.sdk import environment_variables  # noqa: PLC0415

        from jobline_infra.observability.settings import (  # noqa: PLC0415 - may be absent
            ObservabilitySettings,
        )
    except ImportError:
        return set()
    otel = {
        value
        for key, value in vars(environment_variables).items()
        if key.startswith("OTEL_") and isinstance(value, str)
    }
    return settings_env_names(ObservabilitySettings) | otel


def env_names_of(image: str) -> set[str]:
    """Every environment variable that the program in ``image`` reads."""
    if image == "sandboxes":
        return sandbox_env_names()
    return (
        settings_env_names(SERVICE_SETTINGS[image])
        | obstore_env_names()
        | observability_env_names()
    )


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def workspace() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def member_pyprojects() -> dict[str, tuple[str, dict[str, Any]]]:
    """Distribution name -> (member folder, its pyproject) for every workspace member."""
    found = {}
    for folder in workspace()["tool"]["uv"]["workspace"]["members"]:
        project = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())
        found[project["project"]["name"]] = (folder, project)
    return found


def _requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower()


def own_members(package: str) -> set[str]:
    """The member folders ``package`` needs: itself and its workspace dependencies."""
    members = member_pyprojects()
    wanted, stack = set(), [package]
    while stack:
        name = stack.pop()
        folder, project = members[name]
        if folder in wanted:
            continue
        wanted.add(folder)
        stack += [
            dep
            for dep in map(_requirement_name, project["project"].get("dependencies", []))
            if dep in members
        ]
    return wanted


@dataclass(frozen=True)
class Stage:
    """One build stage of a Dockerfile: its base, its name and its instructions."""

    base: str
    name: str
    instructions: list[dict[str, Any]]

    def all(self, instruction: str) -> list[str]:
        return [i["value"] for i in self.instructions if i["instruction"] == instruction]


def stages(dockerfile: Path) -> list[Stage]:
    """The build stages, with ARG defaults substituted into the FROM lines."""
    parser = DockerfileParser(path=str(dockerfile))
    args: dict[str, str] = {}
    found: list[Stage] = []
    for item in parser.structure:
        if item["instruction"] == "ARG" and not found:
            key, _, value = item["value"].partition("=")
            args[key.strip()] = value.strip()
        elif item["instruction"] == "FROM":
            words = item["value"].split()
            base = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), words[0])
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else ""
            found.append(Stage(base, name, []))
        elif found:
            found[-1].instructions.append(item)
    return found


def env_instructions(stage: Stage) -> dict[str, str]:
    """The variables a stage's ENV lines set (the KEY=VALUE form)."""
    values: dict[str, str] = {}
    for value in stage.all("ENV"):
        for pair in re.findall(r"(\w+)=(\S*)", value):
            values[pair[0]] = pair[1]
    return values


@pytest.fixture(scope="session")
def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object in deploy/k8s (the kustomization itself aside)."""
    return [
        (path, doc)
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in load_yaml_documents(path)
    ]


@pytest.fixture(scope="session")
def k8s_objects(
    k8s_documents: list[tuple[Path, dict[str, Any]]],
) -> Callable[[str], Iterator[dict[str, Any]]]:
    def of_kind(kind: str) -> Iterator[dict[str, Any]]:
        return (doc for _, doc in k8s_documents if doc["kind"] == kind)

    return of_kind


@pytest.fixture(scope="session")
def compose() -> Mapping[str, Any]:
    """deploy/compose.yaml as Compose reads it (anchors and merge keys resolved)."""
    with (ROOT / "deploy" / "compose.yaml").open() as handle:
        loaded: Mapping[str, Any] = yaml.safe_load(handle)
    return loaded


@pytest.fixture(scope="session")
def support() -> ModuleType:
    """The helpers above, for the tests (a conftest cannot be imported by name)."""
    return sys.modules[__name__]
