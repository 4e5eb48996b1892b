"""Report cost vs just reading the logs: ``finbehave report`` on 10,000 synthetic samples.

    python benchmarks/bench_report.py [--samples 10000] [--logs 10]

Synthetic logs are real scripted-policy logs (``careful`` and ``no_schema`` on both tasks) with
their samples replicated under new ids, half per run, so the comparison section pairs 5,000
items. Side by side in one process: (a) ``read_eval_log`` on every file, (b) ``build_report``
on the same files (which reads them too). Goal: (b) / (a) <= 2.0.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

GOAL = 2.0


def make_logs(root: Path, samples: int, files: int) -> list[Path]:
    """Write ``files`` logs per run holding ``samples`` samples in all."""
    from inspect_ai import eval as inspect_eval
    from inspect_ai.log import read_eval_log, write_eval_log

    from finbehave.tasks.finqa import finqa, finqa_reasoning

    per_file = samples // (2 * files)
    written = []
    for policy in ("no_schema", "careful"):
        seeds = []
        for task_fn in (finqa, finqa_reasoning):
            log = inspect_eval(
                task_fn(split="test"),
                model=f"finbehave/scripted/{policy}",
                limit=8,
                log_dir=str(root / "seed"),
                display="none",
            )[0]
            seeds.append(read_eval_log(log.location))
        for f in range(files):
            template = seeds[f % 2]
            base = template.samples
            copies = []
            for k in range(per_file):
                sample = base[k % len(base)].model_copy()
                sample.id = f"{sample.id}~{f}-{k}"
                copies.append(sample)
            out = template.model_copy()
            out.samples = copies
            path = root / policy / f"part-{f:02d}.eval"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_eval_log(out, str(path))
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--logs", type=int, default=10, help="log files per run")
    args = parser.parse_args()
    os.environ.setdefault("INSPECT_DISPLAY", "none")

    from inspect_ai.log import read_eval_log

    from finbehave.logs import Source
    from finbehave.reports.build import build_report

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = make_logs(root, args.samples, args.logs)
        start = time.perf_counter()
        total = sum(len(read_eval_log(str(f)).samples) for f in files)
        read_s = time.perf_counter() - start
        start = time.perf_counter()
        result = build_report(
            [Source(root / "no_schema", "base"), Source(root / "careful", "tuned")],
            root / "report",
        )
        report_s = time.perf_counter() - start
        size = (root / "report" / "index.html").stat().st_size
    ratio = report_s / read_s
    print(f"samples: {total:,} in {len(files)} logs (report saw {result.samples:,})")
    print(f"read_eval_log only: {read_s:.2f} s")
    print(f"finbehave report:   {report_s:.2f} s (index.html {size / 1e6:.2f} MB)")
    print(f"ratio: {ratio:.2f}x (goal <= {GOAL:.1f}x) -> {'met' if ratio <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
