"""The ``finbehave`` command line: a thin layer over the packages.

Exit codes: 0 success, 1 the work ran but failed (e.g. a run with errors), 2 bad input
(a file, option or dataset that needs fixing; the message names the fix), 130 Ctrl-C (the
message says what was kept and how to resume). Every message is one line; printed paths and
commands are never wrapped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from finbehave.data.store import DatasetError, load_dataset
from finbehave.vocab import EMBEDDED, TASK_NAMES

MARKUP = "markdown"  # every --help: paragraphs reflowed to the terminal, `code` and examples kept


def examples(*commands: str) -> str:
    """A --help epilog: the commands in a code block (keep each under 76 columns: never wrapped)."""
    return "**Examples**\n\n```\n" + "\n".join(commands) + "\n```"


app = typer.Typer(
    help=(
        "Evaluate tool-using agents on financial QA, diagnose their failures with per-item "
        "rubrics, and retrain the weakest behaviours. `finbehave COMMAND --help` shows each "
        "command with examples."
    ),
    epilog=examples(
        "finbehave run tasks.yaml                          # evaluate",
        "finbehave report logs/experiment -o reports/run1  # diagnose",
        "finbehave train --recipe training/cpu_smoke.yaml \\",
        "    --diagnosis reports/run1/diagnosis.json       # retrain",
        "finbehave loop tasks.yaml                         # all of it",
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=MARKUP,
)
data_app = typer.Typer(
    help="Inspect, import and manage datasets (the embedded corpus ships with finbehave).",
    epilog=examples(
        "finbehave data info",
        "finbehave data import train.json --name finqa_train",
        "finbehave data list",
    ),
    no_args_is_help=True,
    rich_markup_mode=MARKUP,
)
app.add_typer(data_app, name="data")
# soft_wrap: a line longer than the terminal is left to the terminal, never broken by rich, so
# a printed path or command can always be copied whole.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a Ctrl-C


def fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print a one-line error and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


@contextmanager
def interruptible(kept: str) -> Iterator[None]:
    """Turn Ctrl-C into one line saying what was kept and how to resume (exit 130)."""
    try:
        yield
    except KeyboardInterrupt:
        raise fail(f"interrupted: {kept}", EXIT_INTERRUPTED) from None


def output_folder(path: Path | None) -> None:
    """Exit 2 in one line unless ``path`` can be an output folder (None, absent or a folder)."""
    if path is not None and path.exists() and not path.is_dir():
        raise fail(f"-o {path}: is a file, not a folder; pass a folder path")


def say(line: str) -> None:
    """Print one line as is (no markup, no highlighting, never wrapped)."""
    console.print(line, markup=False, highlight=False)


def _progress():
    """A transient progress bar on stderr, shown only in a terminal (no stray blank lines)."""
    from rich.progress import Progress

    return Progress(console=err_console, transient=True, disable=not err_console.is_terminal)


def _counts_table(title: str, counts: Counter, total: int) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(title.split(" ")[-1])
    table.add_column("items", justify="right")
    for key, count in sorted(counts.items()):
        table.add_row(escape(str(key)), str(count))
    table.add_row("[bold]total[/]", f"[bold]{total}[/]")
    return table


@data_app.command("info", epilog=examples("finbehave data info", "finbehave data info finqa_train"))
def data_info(
    name: Annotated[
        str, typer.Argument(help="'embedded' (default), an imported dataset name, or a directory.")
    ] = EMBEDDED,
) -> None:
    """Print item counts per task, split, question kind and company."""
    try:
        store = load_dataset(name)
        items = store.items()
    except DatasetError as exc:
        raise fail(str(exc)) from None
    say(
        f"{store.name} ({store.path}): {len(items)} items, {len(store.companies())} companies"
        + (", eval-only" if store.eval_only else "")
    )
    by_task_split = Counter(f"{i.task}/{i.split}" for i in items)
    for title, counts in (
        ("items per task", Counter(i.task for i in items)),
        ("items per task/split", by_task_split),
        ("items per kind", Counter(i.kind for i in items)),
        ("items per company", Counter(i.company for i in items)),
    ):
        console.print(_counts_table(title, counts, len(items)))


@data_app.command(
    "import",
    epilog=examples(
        "finbehave data import train.json --name finqa_train",
        "finbehave data import snorkel/ --name snorkel --eval-only",
    ),
)
def data_import(
    source: Annotated[
        Path, typer.Argument(help="FinQA JSON (train/dev/test) or a Snorkel folder.")
    ],
    name: Annotated[str, typer.Option("--name", help="Name to select it with -T dataset=NAME.")],
    format: Annotated[
        str | None, typer.Option("--format", help="finqa or snorkel (default: detected).")
    ] = None,
    eval_only: Annotated[
        bool, typer.Option("--eval-only", help="Mark the dataset as evaluation-only.")
    ] = False,
) -> None:
    """Import a public dataset into the user data directory (atomic: a failure keeps the old one)."""
    from finbehave.data.importers import DataImportError, import_dataset

    if format not in (None, "finqa", "snorkel"):
        raise fail(f"--format must be finqa or snorkel, not {format!r}")
    try:
        with _progress() as bar:
            job = bar.add_task(f"importing {source.name}", total=None)
            summary = import_dataset(
                source,
                name,
                format,
                eval_only,  # type: ignore[arg-type]
                progress=lambda done, total: bar.update(job, completed=done, total=total),
            )
    except (DataImportError, DatasetError) as exc:
        raise fail(str(exc)) from None
    for line in summary.lines():
        say(line)


@data_app.command("list", epilog=examples("finbehave data list"))
def data_list() -> None:
    """List imported datasets (the embedded one is always available as 'embedded')."""
    from finbehave.data.manage import list_datasets

    found = list_datasets()
    width = max([len(EMBEDDED), *(len(info.name) for info in found)])
    say(f"{EMBEDDED:<{width}}  shipped with finbehave")
    for info in found:
        eval_only = ", eval-only" if info.eval_only else ""
        say(
            f"{info.name:<{width}}  {info.items} items, {info.companies} companies{eval_only}, "
            f"from {info.source}"
        )


@data_app.command("remove", epilog=examples("finbehave data remove finqa_train"))
def data_remove(name: Annotated[str, typer.Argument(help="An imported dataset's name.")]) -> None:
    """Delete an imported dataset."""
    from finbehave.data.manage import remove_dataset

    try:
        path = remove_dataset(name)
    except (DatasetError, ValueError, FileNotFoundError) as exc:
        raise fail(str(exc)) from None
    say(f"removed {path}")


LOGS_HELP = "Inspect logs (.eval/.json) or folders of them (searched recursively)."


def _load_experiment(path: Path):
    from finbehave.experiment import ExperimentError, check_experiment, load_experiment

    try:
        experiment = load_experiment(path)
        check_experiment(experiment, path)
    except ExperimentError as exc:
        raise fail(str(exc)) from None
    return experiment


@app.command(epilog=examples("finbehave validate tasks.yaml"))
def validate(
    file: Annotated[Path, typer.Argument(help="The experiment file, e.g. tasks.yaml.")] = Path(
        "tasks.yaml"
    ),
) -> None:
    """Check an experiment file without running it (exit 0 valid, 2 invalid)."""
    experiment = _load_experiment(file)
    cells = len(experiment.tasks) * len(experiment.models)
    say(f"valid: {file}")
    lines = [
        f"  tasks:  {', '.join(t.label for t in experiment.tasks)}",
        f"  models: {', '.join(f'{k} ({v.model})' for k, v in experiment.models.items())}",
        f"  runs:   {cells}; logs -> {experiment.log_dir}",
    ]
    for line in lines:
        say(line)


LogDirOption = Annotated[
    Path | None,
    typer.Option("-o", "--output", "--log-dir", help="Log folder (default: the file's log_dir)."),
]


@app.command(
    epilog=examples(
        "finbehave run tasks.yaml",
        "finbehave run tasks.yaml --only careful --only finqa",
        "finbehave run tasks.yaml -o logs/try2",
    )
)
def run(
    file: Annotated[Path, typer.Argument(help="The experiment file, e.g. tasks.yaml.")] = Path(
        "tasks.yaml"
    ),
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only these models or tasks (repeatable)."),
    ] = None,
    log_dir: LogDirOption = None,
) -> None:
    """Run every task x model of an experiment (Inspect's `eval_set`), then its report.

    Resumable: after a crash or Ctrl-C, run the same command again; finished samples are kept.
    """
    from finbehave.experiment import ExperimentError, report_experiment, run_experiment
    from finbehave.logs import LogInputError

    experiment = _load_experiment(file)
    folder = log_dir or experiment.log_dir
    output_folder(folder)
    resume = f"finished samples are kept in {folder}; run the same command again to resume"
    try:
        with interruptible(resume):
            success, logs = run_experiment(experiment, only or (), log_dir)
    except ExperimentError as exc:
        raise fail(str(exc)) from None
    say(f"{len(logs)} logs in {folder}")
    if experiment.report is not None and logs:
        try:
            with interruptible(f"the logs are complete in {folder}; the report was not written"):
                result = report_experiment(experiment, logs, only or ())
        except LogInputError as exc:
            raise fail(f"report: {exc}", EXIT_FAILED) from None
        _say_report(result)
    if not success:
        raise fail("some runs did not finish; run the same command again to resume", EXIT_FAILED)


@app.command(
    epilog=examples(
        "finbehave rescore logs/experiment --rubric my_rubric.yaml -o logs/rescored",
        "finbehave rescore logs/experiment/x.eval  # -> x-rescored.eval beside it",
    )
)
def rescore(
    logs: Annotated[list[Path], typer.Argument(help=LOGS_HELP, show_default=False)],
    rubric: Annotated[
        Path | None, typer.Option(help="Rubric YAML (default: the packaged rubric).")
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            "--output-dir",
            help="Folder for the new logs (default: beside each input, named *-rescored).",
        ),
    ] = None,
    append: Annotated[
        bool,
        typer.Option("--append", help="Append a scorer instead of overwriting behaviour_rubric."),
    ] = False,
) -> None:
    """Re-score logs with a new or edited rubric, without re-running the models.

    Writes new logs (inputs are never modified) and prints every criterion verdict that changed.
    Takes logs of `finbehave/finqa` and `finbehave/finqa_reasoning`; other logs are listed and
    skipped (exit 1; exit 2 when no log is left). In a folder, the `*-rescored` copies an
    earlier rescore wrote are left out (and overwritten), so re-running after another rubric
    edit re-scores the originals.
    """
    from finbehave.logs import expand_logs
    from finbehave.rubrics.rescore import inputs, rescore_logs
    from finbehave.rubrics.spec import RubricError, load_rubric

    output_folder(output_dir)
    try:
        files = inputs(logs, expand_logs(logs))
        load_rubric(rubric)
        with interruptible("logs rescored so far are complete; the inputs are unchanged"):
            report = rescore_logs(files, rubric, output_dir, "append" if append else "overwrite")
    except (RubricError, ValueError) as exc:
        raise fail(str(exc)) from None
    say(
        f"{len(report.changes)} verdicts changed ({report.samples} samples, rubric version "
        f"{report.rubric_version})"
    )
    for change in report.changes[:200]:
        say(
            f"  {change.log}  sample {change.sample_id}  {change.criterion}: "
            f"{change.old} -> {change.new}"
        )
    if len(report.changes) > 200:
        say(f"  ... and {len(report.changes) - 200} more")
    say("wrote:")
    for path in report.written:
        say(f"  {path}")
    _say_skipped(report.skipped)
    if report.skipped:
        raise typer.Exit(EXIT_FAILED)


def _say_skipped(lines: list[str]) -> None:
    """One stderr line per input left out (the command then exits 1: not all was used)."""
    for line in lines:
        err_console.print(f"[yellow]skipped:[/] {escape(line)}", highlight=False)


def _say_report(result) -> None:
    """The summary of a written report: what it read, the weakest behaviours, where it is."""
    runs = ", ".join(result.runs)
    say(f"{result.samples} samples from {len(result.runs)} run(s): {runs}")
    say(f"weakest behaviours of {result.diagnosis.subject}: {result.diagnosis.weakest_summary()}")
    say(f"report:    {result.index}")
    say(f"diagnosis: {result.diagnosis_path}")


def _compare_sources(pairs: list[str]) -> list:
    from finbehave.logs import Source

    sources = []
    for pair in pairs:
        name, sep, path = pair.partition("=")
        if not sep or not name or not path:
            raise fail(
                f"--compare {pair!r}: write NAME=LOG_OR_DIR, e.g. --compare tuned=logs/tuned"
            )
        sources.append(Source(Path(path), name))
    return sources


@app.command(
    epilog=examples(
        "finbehave report logs/experiment -o reports/run1",
        "finbehave report --compare base=logs/base \\",
        "    --compare tuned=logs/tuned -o reports/base-vs-tuned",
    )
)
def report(
    logs: Annotated[list[Path] | None, typer.Argument(help=LOGS_HELP, show_default=False)] = None,
    output: Annotated[
        Path, typer.Option("-o", "--output", help="Folder for index.html, diagnosis.json, parquet.")
    ] = Path("reports/latest"),
    compare: Annotated[
        list[str] | None,
        typer.Option(
            help="NAME=LOG_OR_DIR: a named run to compare (repeatable; the first is the reference)."
        ),
    ] = None,
    rubric: Annotated[
        Path | None,
        typer.Option(
            help="Rubric YAML to re-score every sample with (default: scores in the logs)."
        ),
    ] = None,
    subject: Annotated[
        str | None,
        typer.Option(help="The run the diagnosis is for (default: the first run)."),
    ] = None,
) -> None:
    """Write a self-contained HTML failure-mode report and diagnosis.json from Inspect logs.

    Rates with 95% intervals per model x task, the failure-mode taxonomy with exemplar
    transcripts, accuracy given each behaviour, and (with two or more runs) paired comparisons
    with McNemar's test. Unreadable logs and logs of other Inspect tasks are listed and skipped
    (exit 1 if any were); no usable log at all is exit 2.
    """

    from finbehave.logs import LogInputError, Source, log_files
    from finbehave.reports.build import build_report
    from finbehave.rubrics.spec import RubricError

    sources = [Source(p) for p in logs or []] + _compare_sources(compare or [])
    if not sources:
        raise fail("no logs given; pass LOG_OR_DIR arguments or --compare NAME=LOG_OR_DIR")
    output_folder(output)
    try:
        files = log_files(sources)
        with interruptible(f"nothing was written to {output}"), _progress() as progress:
            bar = progress.add_task("reading logs", total=len(files))
            result = build_report(
                sources,
                output,
                rubric=rubric,
                subject=subject,
                on_file=lambda _: progress.advance(bar),
            )
    except (LogInputError, RubricError) as exc:
        raise fail(str(exc)) from None
    _say_skipped(result.errors)
    _say_report(result)
    if result.errors:
        raise typer.Exit(EXIT_FAILED)


def _bad_training_input() -> tuple[type[Exception], ...]:
    """The one-line input errors of train, sft and loop (exit 2)."""
    from finbehave.diagnosis import DiagnosisError
    from finbehave.rubrics.spec import RubricError
    from finbehave.training.filters import FilterError
    from finbehave.training.items import ItemSelectionError
    from finbehave.training.recipe import RecipeError
    from finbehave.training.runs import RunStateError
    from finbehave.training.traces import TraceSelectionError

    return (
        RecipeError,
        DiagnosisError,
        FilterError,
        TraceSelectionError,
        ItemSelectionError,
        RubricError,
        DatasetError,
        RunStateError,
    )


def _resume_training(output: Path | None) -> str:
    """What a Ctrl-C of train or sft keeps, and how to go on."""
    folder = output or "the output folder (the recipe's output_dir, else outputs/RECIPE_STEM)"
    return (
        f"checkpoints saved so far are kept in {folder}; add --resume to the same command to "
        "continue from the last one (none yet: run it again as it was)"
    )


OutputOption = Annotated[
    Path | None,
    typer.Option("-o", "--output", help="Output folder (default: `outputs/RECIPE_NAME`)."),
]
ResumeOption = Annotated[
    bool, typer.Option("--resume", help="Continue from the output folder's last checkpoint.")
]
AllowEvalOnlyOption = Annotated[
    bool,
    typer.Option(
        "--allow-eval-only",
        help="Allow items of datasets published for evaluation only (e.g. the Snorkel set).",
    ),
]


@app.command(
    epilog=examples(
        "finbehave train --recipe training/cpu_smoke.yaml \\",
        "    --diagnosis reports/experiment/diagnosis.json -o outputs/smoke",
        "finbehave train --recipe training/cpu_smoke.yaml -o outputs/smoke --resume",
    )
)
def train(
    recipe: Annotated[
        Path, typer.Option(help="Training recipe YAML, e.g. `training/cpu_smoke.yaml`.")
    ],
    diagnosis: Annotated[
        Path | None,
        typer.Option(
            help="diagnosis.json from `finbehave report` (target items and reward weights)."
        ),
    ] = None,
    output: OutputOption = None,
    resume: ResumeOption = False,
    allow_eval_only: AllowEvalOnlyOption = False,
    init_adapter: Annotated[
        Path | None,
        typer.Option(
            help="Continue a warm start: `finbehave sft`'s adapter/ (or model/); overrides the "
            "recipe's init_adapter."
        ),
    ] = None,
) -> None:
    """Retrain the weakest behaviours: GRPO (TRL) + LoRA in the evaluation's tools.

    The reward is the rubric's behaviour scores collapsed with the diagnosis' weights; items are
    the diagnosis' train targets (never test, held-out or eval-only items). Writes the adapter,
    checkpoints, per-behaviour reward logs and a run card; evaluate the adapter with the command
    it prints. After a kill, the same command with --resume continues from the last checkpoint.
    Exit 2 on a bad recipe, diagnosis, items or output folder; 1 if training fails.
    """
    from finbehave.training.trainer import train as run_training

    bad_input = _bad_training_input()
    output_folder(output)
    try:
        with interruptible(_resume_training(output)):
            result = run_training(
                recipe,
                diagnosis,
                output,
                resume,
                allow_eval_only,
                progress=_show_step,
                init_adapter=init_adapter,
            )
    except bad_input as exc:
        raise fail(str(exc)) from None
    except ImportError as exc:
        raise fail(
            f"training needs the [train] extra ({exc}): pip install 'finbehave[train]'"
        ) from None
    target = result.adapter_dir or result.model_dir
    say(
        f"trained {result.global_step} steps on {len(result.items)} items -> {target}",
    )
    _print_eval_command(result.eval_model, result.eval_model_args)


def _show_step(log: dict) -> None:
    """Print a TRL log dict as one progress line (training steps only)."""
    if "step" not in log:
        return
    fields = [f"step {log['step']}"]
    fields += [f"{k} {v:.3f}" for k, v in log.items() if k in ("loss", "reward")]
    say("  ".join(fields))


@app.command(
    epilog=examples(
        "finbehave sft --recipe training/sft_cpu.yaml logs/experiment \\",
        "    --run careful --where 'answer_correctness == 1' -o outputs/sft",
    )
)
def sft(
    recipe: Annotated[Path, typer.Option(help="SFT recipe YAML, e.g. `training/sft_cpu.yaml`.")],
    paths: Annotated[
        list[Path] | None, typer.Argument(metavar="LOGS", help=LOGS_HELP, show_default=False)
    ] = None,
    logs: Annotated[
        list[Path] | None, typer.Option(help="Logs or folders, as the arguments (repeatable).")
    ] = None,
    where: Annotated[
        str | None,
        typer.Option(
            help="Keep traces whose behaviour scores match, e.g. `answer_correctness == 1 and "
            "schema_inspection >= 0.5` (see `training/README.md`)."
        ),
    ] = None,
    run: Annotated[
        list[str] | None,
        typer.Option("--run", help="Keep traces of these runs (tasks.yaml model key or model)."),
    ] = None,
    output: OutputOption = None,
    resume: ResumeOption = False,
    allow_eval_only: AllowEvalOnlyOption = False,
) -> None:
    """Warm-start a model on selected traces: supervised fine-tuning (TRL SFT + LoRA).

    Rejection-sampling fine-tuning from any model's logs (a strong model's traces distilled into
    a small one, or a model's own best traces): traces are selected by run and behaviour scores,
    rendered in the chat format finbehave/local uses, and trained on the assistant turns only.
    Train-split traces only. Writes the adapter (evaluate it with the command printed; continue
    it with GRPO via the recipe's init_adapter:), checkpoints and a run card. Exit 2 on a bad
    recipe, filter, log or output folder; 1 if training fails.
    """
    from finbehave.training.sft import sft as run_sft

    bad_input = _bad_training_input()
    output_folder(output)
    try:
        with interruptible(_resume_training(output)):
            result = run_sft(
                recipe,
                [*(paths or []), *(logs or [])],
                where,
                run or (),
                output,
                resume,
                allow_eval_only,
                progress=_show_step,
            )
    except bad_input as exc:
        raise fail(str(exc)) from None
    except ImportError as exc:
        raise fail(f"sft needs the [train] extra ({exc}): pip install 'finbehave[train]'") from None
    target = result.adapter_dir or result.model_dir
    say(
        f"trained {result.global_step} steps on {result.traces} traces ({result.tokens} tokens, "
        f"{result.trained_tokens} of them in the loss) -> {target}",
    )
    if result.left_out:
        left_out = ", ".join(f"{n} {why}" for why, n in result.left_out.items())
        say(f"left out: {left_out}")
    _print_eval_command(result.eval_model, result.eval_model_args)


@app.command(
    epilog=examples(
        "finbehave loop tasks.yaml",
        "finbehave loop tasks.yaml --stop-after report",
        "finbehave loop tasks.yaml --restart",
        "finbehave loop experiments/targeted_vs_uniform/tasks.yaml",
    )
)
def loop(
    file: Annotated[Path, typer.Argument(help="The experiment file, e.g. tasks.yaml.")] = Path(
        "tasks.yaml"
    ),
    log_dir: LogDirOption = None,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Forget the recorded stages and run each again (logs and checkpoints are reused).",
        ),
    ] = False,
    stop_after: Annotated[
        str | None, typer.Option(help="Stop after this stage (e.g. report).")
    ] = None,
) -> None:
    """The whole loop in one command: evaluate, diagnose, warm-start, retrain, evaluate, compare.

    Stages: evaluate (finbehave run) -> report + diagnosis of training.base_model -> [traces ->
    sft -> evaluate_warm -> report_warm, with training.sft:] -> train (GRPO from the diagnosis,
    continuing the warm start) -> evaluate_tuned (same tasks: the held-out items) -> compare
    (`REPORT-loop/index.html`). With training.arms (e.g. {targeted: diagnosis, uniform: uniform})
    train and evaluate_tuned run once per arm, identical but for the reward weights, and compare
    also writes arms.json, arms.md and reward_curves.svg. Each stage writes where its own command
    would. Resumable: run the same command again after a crash or Ctrl-C; finished stages are
    skipped. Exit 2 on a bad
    experiment, recipe or filter; 1 when an evaluation did not finish.
    """
    from finbehave.experiment import ExperimentError
    from finbehave.logs import LogInputError
    from finbehave.loop import LoopIncomplete, run_loop

    bad_input = (*_bad_training_input(), ExperimentError, LogInputError)
    output_folder(log_dir)

    def narrate(line: str) -> None:
        say(f"loop {line}")

    try:
        with interruptible("finished stages are kept; run the same command again to resume"):
            result = run_loop(
                file,
                log_dir,
                say=narrate,
                progress=_show_step,
                restart=restart,
                stop_after=stop_after,
            )
    except bad_input as exc:
        raise fail(str(exc)) from None
    except LoopIncomplete as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    except ImportError as exc:
        raise fail(
            f"the loop needs the [train] extra ({exc}): pip install 'finbehave[train]'"
        ) from None
    for stage, outputs in result.outputs.items():
        if "weakest" in outputs:
            narrate(f"{stage}: weakest {outputs['weakest']}")
    if result.comparison is not None:
        say(f"comparison: {result.comparison}")
    say(f"state:      {result.state}")


def _print_eval_command(model: str, model_args: dict[str, str]) -> None:
    args = " ".join(f"-M {k}={v}" for k, v in model_args.items())
    say(
        f"evaluate: inspect eval finbehave/finqa --model {model} {args}".rstrip(),
    )


export_app = typer.Typer(
    help=(
        "Export the environment and its rubric reward as an installable package, to train "
        "where RL people train: verifiers (prime-rl) or OpenEnv (TRL, torchforge, SkyRL). "
        "Then `pip install` the folder; its README has the run commands."
    ),
    epilog=examples(
        "finbehave export verifiers -o exports/finqa-vf \\",
        "    --diagnosis reports/experiment/diagnosis.json",
        "finbehave export openenv -o exports/finqa-openenv",
    ),
    no_args_is_help=True,
    rich_markup_mode=MARKUP,
)
app.add_typer(export_app, name="export")
ExportOutput = Annotated[
    Path,
    typer.Option(
        "--output", "-o", help="Folder to write the package to (new, or an earlier export)."
    ),
]
ExportDataset = Annotated[
    str, typer.Option(help="'embedded', an imported dataset name, or a dataset directory.")
]
ALL_TASKS = ",".join(TASK_NAMES)
ExportTasks = Annotated[str, typer.Option(help=f"Comma-separated tasks: {ALL_TASKS}.")]
ExportSplit = Annotated[
    str,
    typer.Option(
        help="train (default; refuses test, held-out and eval-only items as `finbehave train` "
        "does), or test/all for an evaluation export."
    ),
]
ExportDiagnosis = Annotated[
    Path | None,
    typer.Option(
        help="diagnosis.json: its train target items and reward weights (default: all "
        "train items, uniform weights)."
    ),
]
ExportRubric = Annotated[
    Path | None, typer.Option(help="Rubric YAML (default: the packaged rubric).")
]
ExportName = Annotated[
    str | None, typer.Option(help="Package name (default finbehave-finqa[-openenv]).")
]
ExportAllowEvalOnly = Annotated[
    bool,
    typer.Option(
        "--allow-eval-only", help="Allow items of datasets published for evaluation only."
    ),
]


def _export(target: str, output: Path, **options) -> None:
    from finbehave.diagnosis import DiagnosisError
    from finbehave.export.bundle import ExportError, ExportRequest
    from finbehave.export.package import export_package
    from finbehave.rubrics.spec import RubricError
    from finbehave.training.items import ItemSelectionError

    name = options.pop("name")
    tasks = tuple(t.strip() for t in options.pop("tasks").split(",") if t.strip())
    request = ExportRequest(tasks=tasks, **options)
    try:
        result = export_package(target, request, output, name)  # type: ignore[arg-type]
    except (ExportError, DatasetError, DiagnosisError, RubricError, ItemSelectionError) as exc:
        raise fail(str(exc)) from None
    say(
        f"exported {result.items} items ({result.weights_source}) as {result.name} -> "
        f"{result.output}",
    )
    say(
        f"install: pip install {result.output}  (see {result.output / 'README.md'})",
    )


def _export_command(target: str, summary: str):
    def command(
        output: ExportOutput,
        dataset: ExportDataset = EMBEDDED,
        tasks: ExportTasks = ALL_TASKS,
        split: ExportSplit = "train",
        diagnosis: ExportDiagnosis = None,
        rubric: ExportRubric = None,
        name: ExportName = None,
        allow_eval_only: ExportAllowEvalOnly = False,
    ) -> None:
        _export(
            target,
            output,
            dataset=dataset,
            tasks=tasks,
            split=split,
            diagnosis=diagnosis,
            rubric=rubric,
            name=name,
            allow_eval_only=allow_eval_only,
        )

    command.__doc__ = (
        f"{summary}\n\nExit 2 on a bad dataset, diagnosis, rubric, item selection or output "
        "folder; nothing is written then."
    )
    export_app.command(
        target, epilog=examples(f"finbehave export {target} -o exports/finqa-{target}")
    )(command)


_export_command(
    "verifiers",
    "Write a verifiers (v1) environment package: taskset, tools, rubric reward, items, tables.",
)
_export_command(
    "openenv",
    "Write an OpenEnv environment package: server (WebSocket sessions), client, items, tables.",
)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
