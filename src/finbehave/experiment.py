"""``tasks.yaml``: one file declares an experiment — tasks, models, rubric, report, training.

The file is loaded with safe YAML, ``${ENV}`` references are interpolated, and the result is
validated with pydantic. Every problem becomes an ``ExperimentError`` whose message names the
file, the field and the fix. ``run_experiment`` runs the task × model matrix with Inspect's
``eval_set`` (resumable: the same command after a crash continues and loses no finished sample).
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from finbehave.data.store import DatasetError, dataset_path
from finbehave.validation import one_line
from finbehave.vocab import BACKENDS, EMBEDDED, RUN_KEY, TASK_NAMES
from finbehave.yamlio import YamlError, load_yaml

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)
logger = logging.getLogger(__name__)


class ExperimentError(ValueError):
    """A tasks.yaml problem; the message is one line and names the fix."""


class TaskEntry(BaseModel):
    """One task of the matrix."""

    model_config = ConfigDict(extra="forbid")

    name: Literal["finqa", "finqa_reasoning"]
    dataset: str = EMBEDDED
    split: Literal["all", "train", "test"] = "all"
    limit: int | None = Field(default=None, ge=1)
    epochs: int = Field(default=1, ge=1)
    args: dict[str, Any] = Field(
        default_factory=dict, description="Further task arguments (tolerance, calculator, ...)."
    )

    @property
    def label(self) -> str:
        return f"{self.name}[{self.dataset}:{self.split}]"


class ModelEntry(BaseModel):
    """One model: an Inspect model string plus its arguments."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(description="Inspect model string, e.g. finbehave/scripted/careful.")
    args: dict[str, Any] = Field(default_factory=dict, description="Model args (-M).")
    config: dict[str, Any] = Field(default_factory=dict, description="GenerateConfig fields.")
    base_url: str | None = None
    api_key: str | None = Field(default=None, description="Use ${ENV_VAR}; never logged.")
    max_connections: int | None = Field(default=None, ge=1)
    limit: int | None = Field(
        default=None, ge=1, description="At most this many items per task for this model."
    )
    message_limit: int | None = Field(
        default=None, ge=2, description="Overrides the task's message limit for this model."
    )
    roles: dict[str, str] = Field(
        default_factory=dict, description="Model roles for this model's runs, e.g. grader."
    )

    @field_validator("model")
    @classmethod
    def _has_provider(cls, value: str) -> str:
        if "/" not in value:
            raise ValueError("must be provider/model, e.g. finbehave/scripted/careful")
        return value


ArmWeights = Literal["diagnosis", "uniform"] | dict[str, float]
_ARM_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


class SFTEntry(BaseModel):
    """The loop's optional warm start (``finbehave sft``) before GRPO."""

    model_config = ConfigDict(extra="forbid")

    recipe: Path = Field(description="SFT recipe, e.g. training/sft_cpu.yaml.")
    traces: Path | None = Field(
        default=None,
        description="An experiment file whose runs write the traces (train split); the loop "
        "runs it first (resumable) and trains on its logs.",
    )
    logs: list[Path] = Field(default_factory=list, description="Further logs or log folders.")
    where: str | None = Field(default=None, description="The --where filter over the traces.")
    runs: list[str] = Field(default_factory=list, description="Keep traces of these runs only.")

    @model_validator(mode="after")
    def _has_traces(self) -> SFTEntry:
        if self.traces is None and not self.logs:
            raise ValueError("give traces: (an experiment file) or logs: (log folders)")
        return self


class TrainingEntry(BaseModel):
    """What ``finbehave train`` (and ``finbehave loop``) use when run from this experiment."""

    model_config = ConfigDict(extra="forbid")

    recipe: Path
    diagnosis: Path | None = None
    base_model: str | None = Field(default=None, description="Key in models: the base model.")
    sft: SFTEntry | None = Field(default=None, description="finbehave loop: warm start first.")
    arms: dict[str, ArmWeights] | None = Field(
        default=None,
        description="finbehave loop: one GRPO run per arm, identical but for the reward weights "
        "(diagnosis, uniform, or behaviour: weight), each evaluated and compared.",
    )

    @field_validator("arms")
    @classmethod
    def _arm_names(cls, value: dict[str, ArmWeights] | None) -> dict[str, ArmWeights] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("arms: name at least one arm, e.g. {targeted: diagnosis}")
        for name in value:
            if not _ARM_NAME.fullmatch(name):
                raise ValueError(
                    f"arm name {name!r}: use lower-case letters, digits and _ (it names a run, "
                    "a folder and a stage)"
                )
        return value


class Experiment(BaseModel):
    """A whole experiment."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    log_dir: Path = Path("logs/experiment")
    report: Path | None = Path("reports/experiment")
    rubric: Path | None = None
    tasks: list[TaskEntry] = Field(min_length=1)
    models: dict[str, ModelEntry] = Field(min_length=1)
    roles: dict[str, str] = Field(default_factory=dict, description="Roles for every model.")
    max_samples: int | None = Field(default=None, ge=1)
    training: TrainingEntry | None = None


def _interpolate(value: Any, where: str, source: Path) -> Any:
    """Replace ``${VAR}`` in strings; refuse secrets outside ``api_key``/``base_url``."""
    if isinstance(value, dict):
        return {k: _interpolate(v, f"{where}.{k}", source) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, f"{where}[{i}]", source) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        field = where.rsplit(".", 1)[-1]
        if _SECRET_NAME.search(name) and field not in ("api_key", "base_url"):
            raise ExperimentError(
                f"{source}: {where.lstrip('.')} uses ${{{name}}}; put secrets only in a model's "
                "api_key field, which is never written to logs"
            )
        if name not in os.environ:
            raise ExperimentError(
                f"{source}: {where.lstrip('.')} needs environment variable {name}; "
                f"export {name}=... or remove the entry"
            )
        return os.environ[name]

    return _ENV_REF.sub(replace, value)


def load_experiment(path: Path) -> Experiment:
    """Load, interpolate and validate a tasks.yaml; relative paths resolve against its folder."""
    path = Path(path)
    try:
        raw = load_yaml(path, "experiment file")
    except YamlError as exc:
        raise ExperimentError(str(exc)) from None
    if not isinstance(raw, dict):
        raise ExperimentError(f"{path}: expected a mapping with tasks: and models:")
    raw = _interpolate(raw, "", path)
    try:
        experiment = Experiment.model_validate(raw)
    except ValidationError as exc:
        raise ExperimentError(f"{path}: {one_line(exc, Experiment)}") from None
    return _resolve_paths(experiment, path.parent.resolve())


def _resolve_paths(experiment: Experiment, base: Path) -> Experiment:
    def resolve(p: Path | None) -> Path | None:
        return None if p is None else (p if p.is_absolute() else Path(os.path.normpath(base / p)))

    updates: dict[str, Any] = {
        "log_dir": resolve(experiment.log_dir),
        "report": resolve(experiment.report),
        "rubric": resolve(experiment.rubric),
    }
    if experiment.training is not None:
        sft = experiment.training.sft
        if sft is not None:
            sft = sft.model_copy(
                update={
                    "recipe": resolve(sft.recipe),
                    "traces": resolve(sft.traces),
                    "logs": [resolve(p) for p in sft.logs],
                }
            )
        updates["training"] = experiment.training.model_copy(
            update={
                "recipe": resolve(experiment.training.recipe),
                "diagnosis": resolve(experiment.training.diagnosis),
                "sft": sft,
            }
        )
    return experiment.model_copy(update=updates)


def check_experiment(experiment: Experiment, source: Path) -> None:
    """Checks beyond types: files exist, datasets resolve, providers are known."""
    if experiment.rubric is not None and not experiment.rubric.is_file():
        raise ExperimentError(f"{source}: rubric: {experiment.rubric} does not exist; fix the path")
    if experiment.training is not None and not experiment.training.recipe.is_file():
        raise ExperimentError(
            f"{source}: training.recipe: {experiment.training.recipe} does not exist; fix the path"
        )
    if experiment.training is not None and experiment.training.sft is not None:
        _check_sft(experiment.training.sft, source)
    for i, entry in enumerate(experiment.tasks):
        try:
            dataset_path(entry.dataset)
        except DatasetError as exc:
            raise ExperimentError(f"{source}: tasks.{i}.dataset: {exc}") from None
    known_roles = {**experiment.roles}
    for name, entry in experiment.models.items():
        known_roles.update(entry.roles)
        _check_model_string(entry.model, f"{source}: models.{name}.model")
        adapter = entry.args.get("adapter")
        if adapter is not None and not Path(str(adapter)).exists():
            raise ExperimentError(
                f"{source}: models.{name}.args.adapter: {adapter} does not exist; "
                "train one with `finbehave train` or fix the path"
            )
    for role, model in known_roles.items():
        target = experiment.models[model].model if model in experiment.models else model
        _check_model_string(target, f"{source}: roles.{role}")
    base = experiment.training.base_model if experiment.training else None
    if base is not None and base not in experiment.models:
        raise ExperimentError(
            f"{source}: training.base_model: {base!r} is not a key "
            f"of models ({', '.join(experiment.models)})"
        )


def _check_sft(sft: SFTEntry, source: Path) -> None:
    from finbehave.training.filters import FilterError, parse_filter

    for name, path in (
        ("recipe", sft.recipe),
        ("traces", sft.traces),
        *(("logs", p) for p in sft.logs),
    ):
        if path is not None and not path.exists():
            raise ExperimentError(
                f"{source}: training.sft.{name}: {path} does not exist; fix the path"
            )
    try:
        parse_filter(sft.where)
    except FilterError as exc:
        raise ExperimentError(f"{source}: training.sft.where: {exc}") from None


def _check_model_string(model: str, where: str) -> None:
    provider, _, rest = model.partition("/")
    if provider == "finbehave":
        backend = rest.split("/", 1)[0]
        if backend not in BACKENDS:
            from finbehave.models.provider import BACKEND_USAGE

            raise ExperimentError(
                f"{where}: unknown finbehave backend {backend!r}; {BACKEND_USAGE}"
            )
        if backend == "scripted":
            from finbehave.models.scripted import POLICIES

            policy = rest.partition("/")[2]
            if policy not in POLICIES:
                raise ExperimentError(
                    f"{where}: unknown scripted policy {policy!r}; use one of {', '.join(POLICIES)}"
                )
        return
    providers = model_providers()
    if providers is not None and provider not in providers:
        raise ExperimentError(
            f"{where}: unknown model provider {provider!r}; use an Inspect provider "
            "(openai, openai-api, anthropic, vllm, hf, ...) or finbehave"
        )


@functools.cache
def model_providers() -> frozenset[str] | None:
    """Names of every registered Inspect model provider (built-in and from packages).

    Inspect has no public API that lists providers, so this reads its private registry (pinned
    by tests/test_dependencies.py). Should an upgrade move it, the provider check is skipped with
    a warning (a wrong provider then fails when the run starts) instead of failing validation.
    """
    try:
        import inspect_ai.model._providers.providers  # noqa: F401  (registers the built-ins)
        from inspect_ai._util.entrypoints import ensure_entry_points
        from inspect_ai._util.registry import registry_find, registry_info

        ensure_entry_points()  # providers from packages; Inspect loads them only on a miss
        apis = registry_find(lambda info: info.type == "modelapi")
        return frozenset(registry_info(api).name.split("/")[-1] for api in apis)
    except Exception as exc:
        logger.warning(
            "cannot list Inspect's model providers (%s: %s); provider names in tasks.yaml are "
            "not checked, a wrong one fails when the run starts",
            type(exc).__name__,
            exc,
        )
        return None


def select(experiment: Experiment, only: Sequence[str]) -> Iterator[tuple[TaskEntry, str]]:
    """The (task, model name) cells to run; ``only`` filters by model name or task name."""
    wanted = set(only)
    unknown = wanted - set(experiment.models) - set(TASK_NAMES)
    if unknown:
        raise ExperimentError(
            f"--only {', '.join(sorted(unknown))}: not a model ({', '.join(experiment.models)}) "
            f"or task ({', '.join(TASK_NAMES)})"
        )
    model_filter = wanted & set(experiment.models)
    task_filter = wanted & set(TASK_NAMES)
    for entry in experiment.tasks:
        if task_filter and entry.name not in task_filter:
            continue
        for name in experiment.models:
            if not model_filter or name in model_filter:
                yield entry, name


def _model_roles(experiment: Experiment, entry: ModelEntry) -> dict[str, Any]:
    """Roles for a model's runs: experiment-wide roles, overridden by the model's own."""
    roles = {**experiment.roles, **entry.roles}
    return {
        role: build_model(experiment.models[target]) if target in experiment.models else target
        for role, target in roles.items()
    }


def build_model(entry: ModelEntry) -> Any:
    """An Inspect ``Model`` for an entry (api_key goes to the provider, never to model args)."""
    from inspect_ai.model import GenerateConfig, get_model

    config = GenerateConfig(**entry.config)
    if entry.max_connections is not None:
        config = config.merge(GenerateConfig(max_connections=entry.max_connections))
    return get_model(
        entry.model,
        config=config,
        base_url=entry.base_url,
        api_key=entry.api_key,
        memoize=False,
        **entry.args,
    )


def build_tasks(experiment: Experiment, only: Sequence[str] = ()) -> list[Any]:
    """One Inspect task per (task, model) cell, each with its model, roles, limit and epochs."""
    from inspect_ai import task_with

    from finbehave.tasks.finqa import finqa, finqa_reasoning

    factories = {"finqa": finqa, "finqa_reasoning": finqa_reasoning}
    tasks = []
    for entry, model_name in select(experiment, only):
        spec = experiment.models[model_name]
        rubric = str(experiment.rubric) if experiment.rubric else None
        task = factories[entry.name](
            dataset=entry.dataset, split=entry.split, rubric=rubric, **entry.args
        )
        limits = [n for n in (entry.limit, spec.limit) if n]
        dataset = task.dataset[: min(limits)] if limits else task.dataset
        extra = {"message_limit": spec.message_limit} if spec.message_limit else {}
        tasks.append(
            task_with(
                task,
                dataset=dataset,
                model=build_model(spec),
                model_roles=_model_roles(experiment, spec) or None,
                epochs=entry.epochs,
                metadata={**(task.metadata or {}), RUN_KEY: model_name},
                **extra,
            )
        )
    return tasks


def report_experiment(experiment: Experiment, logs: list[Path]) -> Any:
    """Write the experiment's report (``report:``) from its logs; runs are the model keys."""
    from finbehave.reports.build import build_report
    from finbehave.reports.logs import Source

    base = experiment.training.base_model if experiment.training else None
    return build_report(
        [Source(path) for path in logs],
        Path(experiment.report),
        subject=base,
    )


def run_experiment(
    experiment: Experiment, only: Sequence[str] = (), log_dir: Path | None = None
) -> tuple[bool, list[Path]]:
    """Run the matrix with ``eval_set``; returns (all finished, log files written)."""
    from inspect_ai import eval_set

    target = Path(log_dir or experiment.log_dir)
    target.mkdir(parents=True, exist_ok=True)
    tasks = build_tasks(experiment, only)
    success, logs = eval_set(
        tasks,
        log_dir=str(target),
        max_samples=experiment.max_samples,
        retry_attempts=3,
        fail_on_error=False,
    )
    return success, [Path(log.location) for log in logs if log.location]
