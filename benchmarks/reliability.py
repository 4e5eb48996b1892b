"""``make reliability``: fault drills with the figures for the README's Reliability section.

python benchmarks/reliability.py [--seeds 10]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from finbehave.reliability import hostile_sql_drill, kill_resume_drill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    hostile = hostile_sql_drill()
    print(
        f"hostile SQL: {hostile.tried} queries tried, {hostile.refused} refused, "
        f"{hostile.contained} contained (capped reads), {hostile.escapes} escapes (goal 0); "
        f"slowest {hostile.slowest_s:.2f} s; database unchanged: {hostile.db_unchanged}"
    )
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        kills = kill_resume_drill(Path(work), seeds=args.seeds)
    print(
        f"kill and resume: {kills.seeds} seeds, {kills.kills} SIGKILLs of `finbehave run`, "
        f"{kills.kept_samples}/{kills.expected_samples} samples kept, {kills.lost} lost "
        f"(goal 0), {kills.duplicates} duplicated (goal 0) in {time.perf_counter() - start:.0f} s"
    )
    if hostile.escapes or kills.lost or kills.duplicates:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
