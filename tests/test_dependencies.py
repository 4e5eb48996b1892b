"""Private names of dependencies: none imported except where a test pins the behaviour.

Upgrading inspect-ai or trl (see the README's "Upgrading dependencies") starts with this file.
"""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from finbehave.experiment import check_experiment, load_experiment, model_providers

SRC = Path(__file__).resolve().parents[1] / "src" / "finbehave"

# module (relative to src/finbehave) -> why it may import a private name, and what pins it.
ALLOWED = {
    "experiment.py": "Inspect lists no providers publicly; test_provider_probe_* pin the probe",
}


def _private(name: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in name.split("."))


def private_imports(path: Path) -> list[str]:
    """``module.name`` of every import in ``path`` that reaches a private module or name."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [
                f"{node.module}.{alias.name}"
                for alias in node.names
                if _private(node.module) or _private(alias.name)
            ]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _private(alias.name)]
    return found


def _modules() -> dict[str, list[str]]:
    return {
        str(path.relative_to(SRC)): private_imports(path)
        for path in sorted(SRC.rglob("*.py"))
        if "embedded" not in path.parts
    }


def test_no_private_imports_outside_the_allowlist() -> None:
    offenders = {
        module: names for module, names in _modules().items() if names and module not in ALLOWED
    }
    assert not offenders, f"private names imported (use public API or pin with a test): {offenders}"


def test_allowlist_is_current() -> None:
    modules = _modules()
    stale = [module for module in ALLOWED if not modules.get(module)]
    assert not stale, f"delete {stale} from ALLOWED in tests/test_dependencies.py"


def test_the_scan_sees_private_imports(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "import inspect_ai._util.registry\n"
        "from inspect_ai.model._model import RetryDecision\n"
        "from trl import _private\n"
        "from inspect_ai.model import RetryDecision, __version__\n"
        "from ._local import thing\n"
    )
    assert private_imports(path) == [
        "inspect_ai._util.registry",
        "inspect_ai.model._model.RetryDecision",
        "trl._private",
    ]


EXPERIMENT = """
version: 1
tasks: [{name: finqa, limit: 1}]
models:
  api: {model: openai/gpt-4o-mini}
  mine: {model: finbehave/scripted/careful}
"""


@pytest.fixture
def fresh_probe():
    model_providers.cache_clear()
    yield
    model_providers.cache_clear()


@pytest.mark.usefixtures("fresh_probe")
def test_provider_probe_lists_inspect_providers() -> None:
    providers = model_providers()
    assert providers is not None
    assert {"openai", "openai-api", "anthropic", "mockllm", "hf", "vllm"} <= providers


def test_provider_probe_sees_providers_that_packages_register() -> None:
    """Packages register providers through entry points, which Inspect loads only on a miss."""
    code = "from finbehave.experiment import model_providers as p; print('finbehave' in p())"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )  # a fresh process: nothing has imported finbehave's provider yet
    assert result.stdout.strip() == "True", result.stderr[-2000:]


@pytest.mark.usefixtures("fresh_probe")
def test_provider_probe_degrades_when_inspect_moves_its_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "inspect_ai._util.registry", None)  # import now fails
    path = tmp_path / "tasks.yaml"
    path.write_text(EXPERIMENT + "  typo: {model: opnai/gpt-4o-mini}\n")
    with caplog.at_level(logging.WARNING, logger="finbehave.experiment"):
        check_experiment(load_experiment(path), path)  # no crash, no false "unknown provider"
    assert model_providers() is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "cannot list Inspect's model providers" in warnings[0]
