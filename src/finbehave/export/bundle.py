"""What an exported package carries, how it is chosen, and how a rollout in it is scored.

A bundle is a folder inside the exported package::

    export.json      what was exported: items, weights and where they came from, rubric version,
                     answer tolerance, message limit, source dataset, split, finbehave version
    rubric.yaml      the rubric, verbatim
    dataset/         a finbehave dataset (manifest.json, items.jsonl, companies/<slug>.json)
                     holding only the exported items and the companies they ask about, written
                     by finbehave's one dataset writer (``DatasetWriter``)

The company tables travel *in* the package (as the dataset's JSON, from which finbehave builds
each read-only DuckDB file on first use, exactly as evaluation does) rather than by dataset name:
a training node does not have the datasets a user imported on their own machine, and the reward
is only meaningful on the tables the diagnosis was made on. The embedded corpus is about 1 MB.

Items are chosen as ``finbehave train`` chooses them (``select_items``): the diagnosis' target
train items, or every train-split item it does not hold out; test, held-out and eval-only items
are refused. ``split="test"`` or ``"all"`` asks for an evaluation export and skips that check.
"""

from __future__ import annotations

import importlib
import inspect
import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from finbehave import __version__
from finbehave.data.items import Item
from finbehave.data.store import DatasetStore, DatasetWriter, load_dataset
from finbehave.diagnosis import DiagnosisError, load_diagnosis
from finbehave.rubrics.spec import DEFAULT_RUBRIC, Rubric, load_rubric
from finbehave.training.environment import ToolFailure, prompt_messages
from finbehave.training.items import select_items
from finbehave.training.recipe import ItemsSpec
from finbehave.training.reward import RubricReward, check_weights, collapse, uniform_weights
from finbehave.vocab import DEFAULT_TOLERANCE, EMBEDDED, SCORE_KEYS, TASK_NAMES

FORMAT_VERSION = 1
BUNDLE = "finbehave_bundle"  # the bundle's folder inside an exported package's module
MANIFEST = "export.json"
RUBRIC_FILE = "rubric.yaml"
DATASET_DIR = "dataset"
Split = Literal["train", "test", "all"]


class ExportError(ValueError):
    """The export request cannot be met; the message is one line and names the fix."""


def message_limit() -> int:
    """The evaluation tasks' default message limit (the ``finqa`` task's own default)."""
    from finbehave.tasks.finqa import finqa

    return int(inspect.signature(finqa).parameters["message_limit"].default)


@dataclass(frozen=True)
class ExportRequest:
    """What to export (the CLI's options)."""

    dataset: str = EMBEDDED
    tasks: tuple[str, ...] = TASK_NAMES
    split: Split = "train"
    diagnosis: Path | None = None
    rubric: Path | None = None
    allow_eval_only: bool = False


@dataclass
class ExportPlan:
    """A checked request: the items, the rubric and the reward weights to package."""

    request: ExportRequest
    store: DatasetStore
    items: list[Item]
    rubric: Rubric
    rubric_file: Path
    weights: dict[str, float]
    weights_source: str


def _weights(request: ExportRequest, rubric: Rubric) -> tuple[dict[str, float], str, Any]:
    if request.diagnosis is None:
        return uniform_weights(), "uniform (the rubric's default: no --diagnosis)", None
    diagnosis = load_diagnosis(request.diagnosis)
    if diagnosis.rubric_version != rubric.version:
        raise DiagnosisError(
            f"{request.diagnosis}: made with rubric version {diagnosis.rubric_version}, but the "
            f"export's rubric is {rubric.version}; pass --rubric with the rubric the diagnosis "
            "used, or rescore and re-report with this one"
        )
    if not diagnosis.reward_weights:
        return uniform_weights(), "uniform (the diagnosis has no reward weights)", diagnosis
    try:
        weights = check_weights(diagnosis.reward_weights)
    except ValueError as exc:
        raise DiagnosisError(f"{request.diagnosis}: {exc}; regenerate the diagnosis") from None
    return weights, f"diagnosis {request.diagnosis}", diagnosis


def plan_export(request: ExportRequest) -> ExportPlan:
    """Check every input before anything is written (one-line ``ValueError`` subclasses)."""
    unknown = [t for t in request.tasks if t not in TASK_NAMES] or ([] if request.tasks else [""])
    if unknown:
        raise ExportError(
            f"unknown task {unknown[0]!r}; --tasks takes a comma-separated list of "
            f"{', '.join(TASK_NAMES)}"
        )
    if request.split not in ("train", "test", "all"):
        raise ExportError(f"--split must be train, test or all, not {request.split!r}")
    store = load_dataset(request.dataset)
    rubric_file = Path(request.rubric) if request.rubric is not None else DEFAULT_RUBRIC
    rubric = load_rubric(rubric_file)
    weights, source, diagnosis = _weights(request, rubric)
    if request.split == "train":
        spec = ItemsSpec(source="diagnosis" if diagnosis else "all", tasks=list(request.tasks))
        items = select_items(store, spec, diagnosis, request.allow_eval_only)
    else:
        items = [i for i in store.items(split=request.split) if i.task in request.tasks]
        if not items:
            raise ExportError(
                f"dataset {store.name!r} has no {'/'.join(request.tasks)} items in split "
                f"{request.split!r}; choose another --split or --tasks"
            )
    return ExportPlan(request, store, items, rubric, rubric_file, weights, source)


def write_bundle(plan: ExportPlan, folder: Path) -> Path:
    """Write the bundle of ``plan`` into the new folder ``folder``."""
    source = plan.store.manifest
    writer = DatasetWriter(folder / DATASET_DIR, plan.store.name)
    try:
        for company in sorted({item.company for item in plan.items}):
            writer.add_company(plan.store.company(company))
        for item in plan.items:
            writer.add_item(item)
        writer.commit(
            source=str(source.get("source", plan.store.name)),
            eval_only=plan.store.eval_only,
            description=(
                f"{len(plan.items)} items of dataset {plan.store.name!r} exported by finbehave "
                f"{__version__}"
            ),
        )
    except BaseException:
        writer.abort()
        raise
    shutil.copyfile(plan.rubric_file, folder / RUBRIC_FILE)
    record = {
        "format_version": FORMAT_VERSION,
        "finbehave_version": __version__,
        "dataset": plan.store.name,
        "split": plan.request.split,
        "tasks": list(plan.request.tasks),
        "items": [item.id for item in plan.items],
        "reward_weights": plan.weights,
        "weights_source": plan.weights_source,
        "rubric_version": plan.rubric.version,
        "tolerance": DEFAULT_TOLERANCE,
        "message_limit": message_limit(),
    }
    (folder / MANIFEST).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return folder


@dataclass(frozen=True)
class Scored:
    """A finished rollout's reward and its behaviour scores (NaN where one does not apply)."""

    reward: float
    scores: dict[str, float]
    tags: list[str]
    submission: str | None


class Bundle:
    """A bundle read back inside an exported environment."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.manifest: dict[str, Any] = json.loads((self.folder / MANIFEST).read_text("utf-8"))
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise ExportError(
                f"{self.folder}: bundle format {self.manifest.get('format_version')!r} is not "
                f"{FORMAT_VERSION}; re-export it with this finbehave"
            )
        self.store = DatasetStore(self.folder / DATASET_DIR)
        by_id = {item.id: item for item in self.store.iter_items()}
        self.items: dict[str, Item] = {i: by_id[i] for i in self.manifest["items"]}
        rubric = load_rubric(self.folder / RUBRIC_FILE)
        if rubric.version != self.manifest["rubric_version"]:
            raise ExportError(f"{self.folder}: rubric.yaml changed since export; re-export")
        self.reward = RubricReward(
            rubric, self.manifest["reward_weights"], self.manifest["tolerance"]
        )

    @property
    def dataset_dir(self) -> str:
        """The bundle's dataset directory (what ``FinQAToolEnv.reset`` takes)."""
        return str(self.store.path)

    @property
    def message_limit(self) -> int:
        return int(self.manifest["message_limit"])

    @property
    def max_turns(self) -> int:
        """Model turns that fit in the message limit (system and question, then a call and
        its result per turn)."""
        return (self.message_limit - 2) // 2

    def item(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except KeyError:
            raise ExportError(f"no item {item_id!r} in this export") from None

    def prompt(self, item: Item) -> list[dict[str, str]]:
        """The evaluation's system message and the question."""
        return prompt_messages(item)

    def score(
        self,
        conversation: list[dict[str, Any]],
        item: Item,
        failures: Sequence[ToolFailure] = (),
    ) -> Scored:
        """Score a whole rollout: prompt + completion as chat dicts (TRL's tool-error text) and
        the failures its ``FinQAToolEnv`` recorded (their kinds tag it as evaluation would)."""
        result = self.reward.score(conversation, item, failures)
        scores = {key: float(result.scores[key]) for key in SCORE_KEYS}
        return Scored(collapse(result, self.reward.weights), scores, result.tags, result.submission)


@cache
def open_bundle(folder: str) -> Bundle:
    """The bundle in ``folder`` (read once per process)."""
    return Bundle(Path(folder))


def package_bundle(package: str) -> Bundle:
    """The bundle of the exported package whose module is ``package``."""
    module = importlib.import_module(package)
    return open_bundle(str(Path(module.__file__ or "").resolve().parent / BUNDLE))
