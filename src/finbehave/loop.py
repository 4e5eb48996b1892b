"""``finbehave loop tasks.yaml``: evaluate, diagnose, warm-start, retrain, evaluate, compare.

The stages, each writing where the single command would (``log_dir`` and ``report`` are the
experiment's; training outputs are the recipes' ``output_dir`` or ``outputs/<recipe stem>``)::

    evaluate        finbehave run: every model of tasks.yaml           -> log_dir/
    report          report + diagnosis of training.base_model          -> report/
    traces          finbehave run <training.sft.traces> (if given)     -> that file's log_dir/
    sft             finbehave sft (if training.sft)                    -> the SFT recipe's output
    evaluate_warm   base model + the SFT adapter on the same tasks     -> <log_dir>-warm/
    report_warm     its report + diagnosis (subject "warm")            -> <report>-warm/
    train           finbehave train from the last diagnosis (the warm start's if any),
                    continuing the SFT adapter (init_adapter)          -> the GRPO recipe's output
    evaluate_tuned  the trained model on the same tasks (the diagnosis' held-out items)
                                                                        -> <log_dir>-tuned/
    compare         comparison report of base, warm, tuned             -> <report>-loop/

With ``training.arms`` (e.g. ``{targeted: diagnosis, uniform: uniform}``) ``train`` and
``evaluate_tuned`` become one ``train_<arm>`` and ``evaluate_<arm>`` per arm: GRPO runs identical
but for their reward weights (output ``<recipe output>-<arm>``, logs ``<log_dir>-<arm>``, run name
``<arm>``), and ``compare`` also writes ``arms.json`` and ``reward_curves.svg``
(:mod:`finbehave.reports.arms`): every pair of runs compared per item, the reward curves and the
share of GRPO groups with no reward spread.

``<report>-loop/loop.json`` records each finished stage and its outputs. Rerunning the command
skips every finished stage whose outputs still exist and continues with the first one that is
not; an evaluation resumes its finished samples (``eval_set``), training resumes its last
checkpoint (only a run the loop itself began: a training output folder with another run's
checkpoints is refused). A tasks.yaml that changed since the state was written is refused.
``--restart`` starts over: it deletes the state and what only the loop writes (the SFT and GRPO
output folders, ``<log_dir>-warm``/``-tuned``, ``<report>-warm``); the evaluation logs of
``evaluate`` and ``traces`` are kept, and ``eval_set`` reuses what still fits.

Errors: ``ExperimentError`` for a configuration the loop cannot run (one line, exit 2);
``LoopIncomplete`` when an evaluation did not finish (run the command again, exit 1); the
training and report errors of the stages themselves.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from finbehave.experiment import (
    Experiment,
    ExperimentError,
    ModelEntry,
    TrainingEntry,
    check_experiment,
    load_experiment,
    run_experiment,
)
from finbehave.files import write_text_atomic
from finbehave.training.recipe import digest_of
from finbehave.training.runs import Progress
from finbehave.vocab import RUN_KEY

STATE = "loop.json"
WARM, TUNED, BASE = "warm", "tuned", "base"
STAGES = (
    "evaluate",
    "report",
    "traces",
    "sft",
    "evaluate_warm",
    "report_warm",
    "train",
    "evaluate_tuned",
    "compare",
)
Say = Callable[[str], None]


@dataclass(frozen=True)
class Arm:
    """One GRPO run of the loop: its run name, reward weights and stage names."""

    name: str
    weights: str | dict[str, float] | None
    train: str
    evaluate: str


class LoopIncomplete(RuntimeError):
    """A stage ran but did not finish (e.g. an evaluation with failed samples); rerun to resume."""


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


@dataclass
class LoopResult:
    """Where the loop's outputs are and which stages ran now."""

    state: Path
    outputs: dict[str, dict[str, Any]]
    ran: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def comparison(self) -> Path | None:
        index = self.outputs.get("compare", {}).get("index")
        return Path(index) if index else None


class Loop:
    """One experiment's loop: its stages, their outputs and the state file."""

    def __init__(self, experiment: Experiment, source: Path, log_dir: Path | None = None) -> None:
        if experiment.report is None:
            raise ExperimentError(
                f"{source}: finbehave loop needs report: (the diagnosis goes there)"
            )
        self.experiment = experiment
        self.source = source
        self._training = experiment.training
        self.log_dir = Path(log_dir or experiment.log_dir)
        self.report = Path(experiment.report)
        self.folder = _sibling(self.report, "-loop")
        self.state_path = self.folder / STATE
        self.outputs: dict[str, dict[str, Any]] = {}
        self.started: set[str] = set()
        if self._training is not None:
            self._check_training(self._training)

    def _check_training(self, training: TrainingEntry) -> None:
        source, models = self.source, self.experiment.models
        if training.base_model is None:
            raise ExperimentError(
                f"{source}: finbehave loop needs training.base_model: (the model to retrain)"
            )
        base = models[training.base_model]
        if not base.model.startswith("finbehave/local"):
            raise ExperimentError(
                f"{source}: training.base_model {training.base_model!r} is {base.model}; the loop "
                "retrains a local model (finbehave/local[/<path>])"
            )
        taken = ({WARM} | {arm.name for arm in self.arms}) & set(models)
        if taken:
            raise ExperimentError(
                f"{source}: models: {', '.join(sorted(taken))} is the name the loop gives a "
                "trained model; rename that model or that arm"
            )
        arms = training.arms or {}
        if {WARM, BASE} & set(arms):
            raise ExperimentError(f"{source}: training.arms: {WARM} and {BASE} name other runs")
        from finbehave.training.reward import chosen_weights

        for name, weights in arms.items():
            try:
                chosen_weights(weights)
            except ValueError as exc:
                raise ExperimentError(f"{source}: training.arms.{name}: {exc}") from None
        sft = training.sft
        if sft is not None and sft.traces is not None:
            check_experiment(load_experiment(sft.traces), sft.traces)

    @property
    def arms(self) -> list[Arm]:
        """The GRPO runs: one per ``training.arms`` entry, or the single ``tuned`` run."""
        arms = self._training.arms if self._training is not None else None
        if not arms:
            return [Arm(TUNED, None, "train", "evaluate_tuned")]
        return [Arm(n, w, f"train_{n}", f"evaluate_{n}") for n, w in arms.items()]

    def _no_training(self) -> ExperimentError:
        return ExperimentError(
            f"{self.source}: finbehave loop needs training: with recipe: and base_model: (the "
            "model to retrain), or --stop-after report"
        )

    @property
    def training(self) -> TrainingEntry:
        """The experiment's ``training:`` entry (stages after ``report`` need one)."""
        if self._training is None:
            raise self._no_training()
        return self._training

    @property
    def base(self) -> ModelEntry:
        """The model being retrained."""
        return self.experiment.models[self.training.base_model or ""]

    # --- which stages, and what they wrote ----------------------------------------------------

    def stages(self) -> list[str]:
        """The stages this experiment runs, in order."""
        if self._training is None:
            return ["evaluate", "report"]
        sft = self._training.sft
        skip = set() if sft else {"sft", "evaluate_warm", "report_warm"}
        if sft is None or sft.traces is None:
            skip.add("traces")
        before = [s for s in STAGES[: STAGES.index("train")] if s not in skip]
        return [*before, *(s for arm in self.arms for s in (arm.train, arm.evaluate)), "compare"]

    def digest(self) -> str:
        """What the state belongs to: the experiment and the log folder."""
        return digest_of(
            {"experiment": self.experiment.model_dump(mode="json"), "log_dir": str(self.log_dir)}
        )

    def _load_state(self) -> None:
        if not self.state_path.is_file():
            return
        state = json.loads(self.state_path.read_text(encoding="utf-8"))
        if state.get("digest") != self.digest():
            raise ExperimentError(
                f"{self.source} changed since {self.state_path} was written; pass --restart to "
                "run the loop again from the start"
            )
        self.outputs = dict(state.get("stages", {}))
        self.started = set(state.get("started", []))

    def _save_state(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        state = {"version": 1, "experiment": str(self.source), "digest": self.digest()}
        state["started"] = sorted(self.started)
        state["stages"] = self.outputs
        write_text_atomic(self.state_path, json.dumps(state, indent=2) + "\n")

    def _training_outputs(self) -> dict[str, Path]:
        """The output folders of the loop's training stages."""
        from finbehave.training.recipe import default_output_dir, load_recipe
        from finbehave.training.sft_recipe import SFTRecipe

        if self._training is None:
            return {}
        recipe = self._training.recipe
        output = default_output_dir(load_recipe(recipe), recipe)
        named = bool(self._training.arms)  # arms write beside the recipe's output, one each
        found = {
            arm.train: _sibling(output, "-" + arm.name) if named else output for arm in self.arms
        }
        if self._training.sft is not None:
            sft = self._training.sft.recipe
            found["sft"] = default_output_dir(load_recipe(sft, SFTRecipe), sft)
        return found

    def restart(self, say: Say) -> None:
        """Forget the state and delete what the loop alone wrote (not the evaluation logs)."""
        owned = [
            self.state_path,
            _sibling(self.log_dir, "-warm"),
            *(_sibling(self.log_dir, "-" + arm.name) for arm in self.arms),
            _sibling(self.report, "-warm"),
            *self._training_outputs().values(),
        ]
        for path in owned:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                continue
            say(f"restart: removed {path}")
        self.outputs, self.started = {}, set()

    def _output_dir(self, stage: str) -> tuple[Path, bool]:
        """A training stage's output folder, and whether to resume it (only if the loop began it)."""
        from finbehave.training.runs import CHECKPOINTS, last_checkpoint

        output = self._training_outputs()[stage]
        checkpoint = last_checkpoint(output / CHECKPOINTS)
        if checkpoint is not None and stage not in self.started:
            raise ExperimentError(
                f"{output} already has checkpoints of a run this loop did not start; delete it, "
                "set the recipe's output_dir, or pass --restart"
            )
        return output, checkpoint is not None

    @staticmethod
    def _outputs_exist(outputs: dict[str, Any]) -> bool:
        paths = outputs.get("paths", [])
        return all(Path(p).exists() for p in paths)

    # --- the stages ---------------------------------------------------------------------------

    def _evaluate(self, experiment: Experiment, log_dir: Path, only: list[str]) -> list[Path]:
        success, logs = run_experiment(experiment, only, log_dir)
        if not success:
            raise LoopIncomplete(
                f"some runs in {log_dir} did not finish; run the same command again to resume"
            )
        return logs

    def _evaluate_trained(self, name: str, trained: dict[str, Any]) -> dict[str, Any]:
        """The base model's runs again, as run ``name``, with a training stage's result."""
        args = {**self.base.args, **trained["eval_model_args"]}
        entry = self.base.model_copy(update={"model": trained["eval_model"], "args": args})
        experiment = self.experiment.model_copy(
            update={"models": {**self.experiment.models, name: entry}}
        )
        logs = self._evaluate(experiment, _sibling(self.log_dir, f"-{name}"), [name])
        return {"logs": [str(p) for p in logs], "paths": [str(p) for p in logs]}

    @staticmethod
    def _report(logs: list[Path], folder: Path, subject: str | None) -> dict[str, Any]:
        from finbehave.logs import Source
        from finbehave.reports.build import build_report

        result = build_report([Source(p) for p in logs], folder, subject=subject)
        return {
            "diagnosis": str(result.diagnosis_path),
            "index": str(result.index),
            "weakest": result.diagnosis.weakest_summary(),
            "paths": [str(result.diagnosis_path), str(result.index)],
        }

    def run_stage(self, stage: str, say: Say, progress: Progress | None) -> dict[str, Any]:
        """Run one stage (its inputs are earlier stages' recorded outputs); returns its outputs."""
        done = self.outputs
        if stage == "evaluate":
            logs = self._evaluate(self.experiment, self.log_dir, [])
            return {"logs": [str(p) for p in logs], "paths": [str(p) for p in logs]}
        if stage == "report":
            logs = [Path(p) for p in done["evaluate"]["logs"]]
            subject = self._training.base_model if self._training else None
            return self._report(logs, self.report, subject)
        if stage == "traces":
            sft = self.training.sft
            assert sft is not None and sft.traces is not None
            traces = load_experiment(sft.traces)
            logs = self._evaluate(traces, Path(traces.log_dir), [])
            return {"logs": [str(p) for p in logs], "paths": [str(p) for p in logs]}
        if stage == "sft":
            return self._sft(say, progress)
        if stage == "evaluate_warm":
            return self._evaluate_trained(WARM, done["sft"])
        if stage == "report_warm":
            logs = [Path(p) for p in done["evaluate_warm"]["logs"]]
            return self._report(logs, _sibling(self.report, "-warm"), WARM)
        for arm in self.arms:
            if stage == arm.train:
                return self._train(arm, say, progress)
            if stage == arm.evaluate:
                return self._evaluate_trained(arm.name, done[arm.train])
        if stage == "compare":
            return self._compare()
        raise ValueError(f"unknown stage {stage!r}")

    def _sft(self, say: Say, progress: Progress | None) -> dict[str, Any]:
        from finbehave.training.sft import sft

        entry = self.training.sft
        assert entry is not None
        logs = [Path(p) for p in self.outputs.get("traces", {}).get("logs", [])] + entry.logs
        output, resume = self._output_dir("sft")
        if resume:
            say(f"sft: resuming {output}")
        result = sft(entry.recipe, logs, entry.where, entry.runs, output, resume, progress=progress)
        return self._trained(result)

    @staticmethod
    def _trained(result: Any) -> dict[str, Any]:
        target = result.adapter_dir or result.model_dir
        return {
            "output": str(result.output_dir),
            "trained": str(target),
            "eval_model": result.eval_model,
            "eval_model_args": result.eval_model_args,
            "global_step": result.global_step,
            "paths": [str(result.run_card), str(target)],
        }

    def _train(self, arm: Arm, say: Say, progress: Progress | None) -> dict[str, Any]:
        from finbehave.training.trainer import train

        source = "report_warm" if "sft" in self.outputs else "report"
        diagnosis = self.outputs[source]["diagnosis"]
        init = self.outputs.get("sft", {}).get("trained")
        output, resume = self._output_dir(arm.train)
        if resume:
            say(f"{arm.train}: resuming {output}")
        result = train(
            self.training.recipe,
            diagnosis,
            output,
            resume,
            progress=progress,
            init_adapter=init,
            reward_weights=arm.weights,
        )
        return {**self._trained(result), "diagnosis": diagnosis}

    def _compare(self) -> dict[str, Any]:
        from inspect_ai.log import read_eval_log

        from finbehave.logs import Source
        from finbehave.reports.build import build_report

        def run_of(log: str) -> str | None:
            header = read_eval_log(log, header_only=True)
            return (header.eval.metadata or {}).get(RUN_KEY)

        base = self.training.base_model
        sources = [
            Source(Path(p), BASE) for p in self.outputs["evaluate"]["logs"] if run_of(p) == base
        ]
        arms = self.arms
        runs = [(WARM, "evaluate_warm"), *((arm.name, arm.evaluate) for arm in arms)]
        for name, stage in runs:
            sources += [Source(Path(p), name) for p in self.outputs.get(stage, {}).get("logs", [])]
        result = build_report(sources, self.folder, subject=arms[0].name)
        outputs = {
            "index": str(result.index),
            "diagnosis": str(result.diagnosis_path),
            "weakest": result.diagnosis.weakest_summary(),
            "paths": [str(result.index)],
        }
        if self._training is not None and self._training.arms:
            from finbehave.reports.arms import summarize_arms

            trained = {arm.name: Path(self.outputs[arm.train]["output"]) for arm in arms}
            summary = summarize_arms(result.parquet, trained, self.folder)
            outputs["arms"] = str(summary)
            outputs["paths"].append(str(summary))
        return outputs

    # --- driving ------------------------------------------------------------------------------

    def run(
        self,
        say: Say = print,
        progress: Progress | None = None,
        restart: bool = False,
        stop_after: str | None = None,
        on_stage: Callable[[str], None] | None = None,
    ) -> LoopResult:
        """Run the stages not yet finished, in order (``stop_after``: stop after that stage)."""
        stages = self.stages()
        if self._training is None and stop_after != "report":
            raise self._no_training()
        if restart:
            self.restart(say)
        else:
            self._load_state()
        result = LoopResult(self.state_path, self.outputs)
        if stop_after is not None and stop_after not in stages:
            raise ExperimentError(
                f"--stop-after {stop_after}: not a stage of this loop ({', '.join(stages)})"
            )
        redo = False
        for stage in stages:
            recorded = self.outputs.get(stage)
            if not redo and recorded is not None and self._outputs_exist(recorded):
                result.skipped.append(stage)
                say(f"{stage}: done earlier, skipped")
            else:
                redo = True  # every later stage builds on this one
                for later in stages[stages.index(stage) :]:
                    self.outputs.pop(later, None)
                say(f"{stage}: running")
                self.started.add(stage)
                self._save_state()
                started = time.perf_counter()
                outputs = self.run_stage(stage, say, progress)
                outputs["seconds"] = round(time.perf_counter() - started, 1)
                self.outputs[stage] = outputs
                self._save_state()
                result.ran.append(stage)
                say(f"{stage}: finished in {outputs['seconds']:.0f} s")
            if on_stage is not None:
                on_stage(stage)
            if stage == stop_after:
                break
        return result


def run_loop(tasks: Path, log_dir: Path | None = None, **options: Any) -> LoopResult:
    """Load and check ``tasks`` (a tasks.yaml) and run its loop; ``options`` go to :meth:`Loop.run`
    (``say``, ``progress``, ``restart``, ``stop_after``, ``on_stage``)."""
    experiment = load_experiment(tasks)
    check_experiment(experiment, tasks)
    return Loop(experiment, tasks, log_dir).run(**options)
