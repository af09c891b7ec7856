"""The import contracts in pyproject.toml hold today, and each one fails when a forbidden import is added.

Each case copies the four packages and pyproject.toml into a temporary folder, adds one import that breaks one
contract, and runs `lint-imports` there: the run must fail and name that contract. Nothing in the checkout changes.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is a dev dependency (make install)")


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory):
    base = tmp_path_factory.mktemp("contracts")
    for package in ("studio", "catalog", "generations", "api"):
        shutil.copytree(ROOT / package, base / package,
                        ignore=shutil.ignore_patterns("__pycache__", "templates", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", base / "pyproject.toml")
    return base


def lint(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT), "--no-cache"], cwd=folder, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin", "COLUMNS": "400"})


def test_the_contracts_hold_on_the_code_as_it_is(source_copy):
    result = lint(source_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, forbidden, contract", [
    # The catalog reaching for a vendor's view (the circle issue #15 removed).
    ("catalog/views/common.py", "from generations.vendors.huhu import views", "No core module imports a vendor"),
    # The engine naming a vendor.
    ("generations/engine/runs.py", "from generations.vendors.uwear import sync", "No core module imports a vendor"),
    # One vendor package using another's code.
    ("generations/vendors/huhu/sync.py", "from generations.vendors.uwear import wire", "Each vendor package stands"),
    # A circle inside the engine: publishing importing the run it publishes for.
    ("generations/engine/queue.py", "from generations.engine import runs", "The engine has no circle"),
    # The domain importing a product feature (models → review → models).
    ("generations/models.py", "from generations import review", "Layers inside generations"),
    # The error tree importing the adapter contract back (base ↔ http, the circle issue #15 removed).
    ("generations/vendors/http.py", "from generations.vendors import base", "Layers inside generations"),
    # studio importing the catalog (studio.tenancy ↔ catalog.models, the circle issue #15 removed).
    ("studio/tenancy.py", "import catalog.models", "Apps: api → generations → catalog → studio"),
    # The engine reaching up into the REST API (the API drives the studio, never the other way round).
    ("generations/engine/runs.py", "import api.models", "Apps: api → generations → catalog → studio"),
])
def test_a_forbidden_import_fails_its_contract(source_copy, tmp_path, module, forbidden, contract):
    copy = tmp_path / "src"
    shutil.copytree(source_copy, copy)
    target = copy / module
    target.write_text(target.read_text() + f"\n{forbidden}  # added by the test\n")
    result = lint(copy)
    assert result.returncode != 0, result.stdout
    assert any(line.startswith(contract) and " BROKEN" in line for line in result.stdout.splitlines()), \
        result.stdout
