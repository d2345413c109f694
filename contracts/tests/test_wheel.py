"""``jobline-contracts`` on its own: its wheel builds from this repository and, installed
in a fresh virtual environment with nothing else of Jobline, reads every golden example
and carries the JSON Schemas that validate them."""

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Runs in the fresh environment, away from the repository: imports only what the wheel has.
PROBE = """
import importlib.metadata, importlib.resources, importlib.util, json, sys
import jsonschema
import jobline_contracts
from jobline_contracts.codec import decode
from jobline_contracts.topics import topic

packaged = importlib.resources.files("jobline_contracts")
checked = []
for folder in sorted(packaged.joinpath("examples").iterdir(), key=lambda f: f.name):
    if not folder.is_dir():
        continue
    for example in sorted(folder.iterdir(), key=lambda f: f.name):
        raw = example.read_bytes()
        envelope = decode(topic(folder.name), raw)
        schema = json.loads(packaged.joinpath("schemas", folder.name, example.name).read_text())
        jsonschema.validate(json.loads(raw), schema)
        checked.append(f"{folder.name}/{envelope.type}")
print(json.dumps({
    "version": importlib.metadata.version("jobline-contracts"),
    "requires": importlib.metadata.requires("jobline-contracts"),
    "location": jobline_contracts.__file__,
    "jobline_modules": sorted(
        name for name in ("jobline_jobs", "jobline_comms", "jobline_invoicing", "jobline_infra")
        if importlib.util.find_spec(name) is not None
    ),
    "checked": checked,
}))
"""


def run(*args: str | Path, cwd: Path) -> str:
    # The workspace's own environment must not leak into the fresh one.
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.timeout(600)
def test_the_wheel_installs_alone_and_reads_every_golden_example(tmp_path: Path):
    uv = shutil.which("uv")
    assert uv is not None, "uv builds the wheel (make install puts it on PATH)"
    dist = tmp_path / "dist"
    run(uv, "build", "--package", "jobline-contracts", "--out-dir", dist, cwd=ROOT)
    [wheel] = dist.glob("jobline_contracts-*.whl")
    venv = tmp_path / "venv"
    run(uv, "venv", "--no-project", "--python", sys.executable, venv, cwd=tmp_path)
    python = venv / "bin" / "python"
    # jsonschema only for the probe; the wheel itself needs pydantic and PyYAML.
    run(uv, "pip", "install", "--python", python, wheel, "jsonschema", cwd=tmp_path)

    found = json.loads(run(python, "-c", PROBE, cwd=tmp_path))

    version = tomllib.loads((ROOT / "contracts" / "pyproject.toml").read_text())["project"]
    assert found["version"] == version["version"]
    assert Path(found["location"]).is_relative_to(venv)
    assert found["jobline_modules"] == []
    assert not [r for r in found["requires"] if r.startswith("jobline")]
    expected = sorted(
        f"{path.parent.name}/{json.loads(path.read_text())['type']}"
        for path in (ROOT / "contracts" / "examples").glob("*/*.json")
    )
    assert sorted(found["checked"]) == expected
