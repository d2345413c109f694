"""Every refusal the jobs service can dead-letter has a kind the contracts register.

The domain is pure (it cannot import the contracts), so its ``Rejected`` classes name their
kinds as strings; this walks them all, wherever they are declared.
"""

import importlib
import pkgutil

import pytest

import jobline_jobs
from jobline_contracts.dead_letter_kinds import JOBS_REFUSALS, DlqKind
from jobline_jobs.domain.errors import Rejected

pytestmark = pytest.mark.unit


def refusals() -> set[type[Rejected]]:
    for module in pkgutil.walk_packages(jobline_jobs.__path__, "jobline_jobs."):
        if ".domain" in module.name or ".service_layer" in module.name:
            importlib.import_module(module.name)
    found: set[type[Rejected]] = set()
    todo = [Rejected]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo += cls.__subclasses__()
    return found


def test_every_refusal_kind_is_registered_as_a_jobs_refusal():
    kinds = {cls.kind for cls in refusals()}

    assert {"rejected", "unknown_job", "unknown_technician"} <= kinds
    assert kinds <= set(DlqKind)
    assert kinds == JOBS_REFUSALS
