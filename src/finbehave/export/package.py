"""Write an exported package: a thin verifiers or OpenEnv shell around a bundle.

The package is built in a temporary folder beside ``--output`` and renamed into place only when
complete, so a failure (or a kill) leaves ``--output`` as it was. An existing ``--output`` is
replaced only if it is an earlier finbehave export (it has ``finbehave-export.json``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from finbehave import __version__
from finbehave.export.bundle import (
    BUNDLE,
    ExportError,
    ExportPlan,
    ExportRequest,
    message_limit,
    plan_export,
)
from finbehave.export.bundle import write_bundle as write_bundle_folder
from finbehave.export.tools import TOOL_NAMES
from finbehave.vocab import ERROR_KINDS, SCORE_KEYS

Target = Literal["verifiers", "openenv"]
TARGETS: tuple[str, ...] = ("verifiers", "openenv")
MARKER = "finbehave-export.json"  # at the package root: what `finbehave export` wrote here
DEFAULT_NAMES = {"verifiers": "finbehave-finqa", "openenv": "finbehave-finqa-openenv"}
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class ExportResult:
    """What was written."""

    output: Path
    name: str
    module: str
    items: int
    weights_source: str


def check_name(name: str) -> str:
    """A package name: lower-case words joined by '-' (the module joins them by '_')."""
    if not _NAME.match(name):
        raise ExportError(
            f"invalid package name {name!r}: use lower-case letters and digits joined by '-', "
            "e.g. finbehave-finqa"
        )
    return name


def _pyproject(name: str, module: str, extra: str, scripts: str = "") -> str:
    return f"""\
[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "0.1.0"
description = "finbehave's FinQA tool environment and behaviour-rubric reward, exported for {extra}."
requires-python = ">=3.11"
dependencies = ["finbehave[{extra}]>={__version__}"]
{scripts}
[tool.setuptools.packages.find]
include = ["{module}*"]

[tool.setuptools.package-data]
"*" = ["{BUNDLE}/*", "{BUNDLE}/**/*"]
"""


def _summary(plan: ExportPlan) -> str:
    weights = ", ".join(f"{b} {w:.3f}" for b, w in plan.weights.items() if w)
    return (
        f"- {len(plan.items)} items of dataset `{plan.store.name}` (split {plan.request.split}, "
        f"tasks {', '.join(plan.request.tasks)}), their company tables, and the rubric "
        f"(version {plan.rubric.version}) in `{BUNDLE}/`.\n"
        f"- Reward weights ({plan.weights_source}): {weights}.\n"
    )


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(f"`{name}`" for name in names)


_COMMON = f"""\
The model gets the evaluation's system prompt and the question, and the evaluation's tools
({_names(TOOL_NAMES)}) with their names, arguments and descriptions, over the item's company
tables in finbehave's read-only SQL sandbox. A failing call returns `{{{{'error': '<message>'}}}}`,
as under `finbehave train`, and its kind ({", ".join(ERROR_KINDS)}) is recorded beside it.
A finished rollout is scored by finbehave's `score_trace` with the packaged rubric, with the
same failure tags as in evaluation; the reward is the weighted mean of the applicable behaviour
scores (`collapse`), and each of {_names(SCORE_KEYS)} is reported on its own (NaN/null where it
does not apply).

{{summary}}
Install finbehave first (from its source tree: `pip install '/path/to/finbehave[{{extra}}]'`),
then this package: `pip install {{output}}`.
"""


def _verifiers_readme(plan: ExportPlan, name: str, module: str) -> str:
    common = _COMMON.format(summary=_summary(plan), extra="verifiers", output=".")
    return f"""\
# {name}

A [verifiers](https://github.com/PrimeIntellect-ai/verifiers) environment (`verifiers.v1`,
verifiers >= 0.4) exported by `finbehave export verifiers` (finbehave {__version__}).

{common}
## Run

The environment's defaults are local: the `null` harness (a plain chat loop: the model gets only
the tools above, no shell), the `subprocess` runtime, and at most {(message_limit() - 2) // 2} model turns
(the evaluation's message limit). Point it at any OpenAI-compatible endpoint and do not push:

```bash
export OPENAI_API_KEY=...
vf-eval {name} -m MODEL --client.base-url http://127.0.0.1:8000/v1 \\
  --client.api-key-var OPENAI_API_KEY -n 5 --no-push
```

The chat loop is bootstrapped with `uv`; offline, give it a folder of wheels:
`UV_NO_INDEX=1 UV_FIND_LINKS=/path/to/wheels UV_PYTHON_DOWNLOADS=never` (the wheels of `openai`,
`mcp==2.0.0`, `httpx`, `httpx2`, `tenacity`, `certifi` and their dependencies).
Rewards: one weighted reward `finbehave_reward`; metrics: one per behaviour.
Train with prime-rl by naming this environment id (`{name}`) in its orchestrator config.
"""


def _openenv_readme(plan: ExportPlan, name: str, module: str) -> str:
    common = _COMMON.format(summary=_summary(plan), extra="openenv", output=".")
    return f"""\
# {name}

An [OpenEnv](https://github.com/meta-pytorch/OpenEnv) environment (package `openenv` >= 0.10)
exported by `finbehave export openenv` (finbehave {__version__}).

{common}
## Run

```bash
server --host 127.0.0.1 --port 8000        # or: uvicorn {module}.server.app:app
```

```python
from {module} import FinQAAction, FinQAEnvClient

with FinQAEnvClient(base_url="http://127.0.0.1:8000").sync() as env:
    first = env.reset()                       # or reset(item_id=...) / reset(index=N)
    messages, tools = first.observation.messages, first.observation.tools
    step = env.step(FinQAAction(tool="get_table_names", arguments={{}}))
    ...                                       # until step.done
    print(step.reward, step.observation.scores)
```

One step is one assistant turn with one tool call. `reset` returns the prompt (`messages`) and
the tools as OpenAI function schemas (`tools`); each step returns the tool's result text as the
model should see it (`result`, and `error` and its `error_kind` when the call failed). The
episode ends at a successful `submit` or at the evaluation's message limit ({message_limit()}
messages); the last observation carries `reward`, `scores` and the failure `tags` (typed fields:
the server drops `metadata`). Use the WebSocket client above: the HTTP `/reset` and `/step` endpoints create a
new environment per request. Sessions are independent; the server allows
`FINBEHAVE_MAX_SESSIONS` (default 64) at once.

`openenv validate --url http://127.0.0.1:8000` checks a running server. The `Dockerfile` builds
an image on the OpenEnv base image (needs the network and finbehave's source in `finbehave/`).
"""


def _verifiers_files(plan: ExportPlan, name: str, module: str) -> dict[str, str]:
    return {
        "pyproject.toml": _pyproject(name, module, "verifiers"),
        "README.md": _verifiers_readme(plan, name, module),
        f"{module}/__init__.py": f'''\
"""{name}: finbehave's FinQA environment for verifiers (written by `finbehave export verifiers`).

The environment id is `{name}`; the taskset reads its bundle from `{BUNDLE}/` beside this file.
"""

from finbehave.export.verifiers_env import FinQAEnv, FinQATaskset

__all__ = ["FinQAEnv", "FinQATaskset"]
''',
    }


def _openenv_files(plan: ExportPlan, name: str, module: str) -> dict[str, str]:
    scripts = f'\n[project.scripts]\nserver = "{module}.server.app:main"\n'
    return {
        "pyproject.toml": _pyproject(name, module, "openenv", scripts),
        "README.md": _openenv_readme(plan, name, module),
        "openenv.yaml": f"""\
spec_version: 1
name: {module}
version: 0.1.0
type: space
runtime: fastapi
app: {module}.server.app:app
port: 8000
validation:
  reward:
    range: [0.0, 1.0]
""",
        "Dockerfile": f"""\
# Needs the network. Build from a folder holding this package and finbehave's source tree:
#   docker build -t {name} .   (with finbehave/ copied beside pyproject.toml)
ARG BASE_IMAGE=ghcr.io/huggingface/openenv-base:latest
FROM ${{BASE_IMAGE}}
WORKDIR /app/env
COPY . /app/env
RUN pip install --no-cache-dir './finbehave[openenv]' . && pip uninstall -y torch || true
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s CMD curl -f http://localhost:8000/health || exit 1
CMD ["server", "--host", "0.0.0.0", "--port", "8000"]
""",
        f"{module}/__init__.py": f'''\
"""{name}: finbehave's FinQA environment for OpenEnv (written by `finbehave export openenv`)."""

from finbehave.export.openenv_client import FinQAAction, FinQAEnvClient, FinQAObservation

__all__ = ["FinQAAction", "FinQAEnvClient", "FinQAObservation"]
''',
        f"{module}/server/__init__.py": "",
        f"{module}/server/app.py": f'''\
"""The OpenEnv server of {name}: `server --port 8000`, or `uvicorn {module}.server.app:app`."""

from finbehave.export.openenv_env import create_finqa_app, serve

app = create_finqa_app("{module}")


def main() -> None:
    serve(app)


if __name__ == "__main__":
    main()
''',
    }


def _write_package(plan: ExportPlan, target: Target, name: str, folder: Path) -> str:
    module = name.replace("-", "_")
    files = (_verifiers_files if target == "verifiers" else _openenv_files)(plan, name, module)
    for relative, text in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    write_bundle_folder(plan, folder / module / BUNDLE)
    marker = {"target": target, "name": name, "module": module, "finbehave_version": __version__}
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
    return module


def _check_output(output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise ExportError(f"--output {output} is a file; choose a folder")
    if output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise ExportError(
            f"--output {output} is a folder that is not a finbehave export; choose a new or "
            "empty folder"
        )


def export_package(
    target: Target, request: ExportRequest, output: Path, name: str | None = None
) -> ExportResult:
    """Check ``request``, then write the ``target`` package to ``output`` (all or nothing)."""
    if target not in TARGETS:
        raise ExportError(f"unknown export target {target!r}; use {' or '.join(TARGETS)}")
    name = check_name(name or DEFAULT_NAMES[target])
    output = Path(output)
    _check_output(output)
    plan = plan_export(request)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        module = _write_package(plan, target, name, staging)
        if output.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{output.name}.old-", dir=output.parent))
            os.replace(output, retired / "old")
            os.replace(staging, output)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return ExportResult(output, name, module, len(plan.items), plan.weights_source)
