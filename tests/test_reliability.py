"""Fault drills: hostile SQL through the tool core, and SIGKILL + resume of `finbehave run`."""

from __future__ import annotations

from pathlib import Path

import pytest
from drills import hostile_sql_drill, kill_resume_drill


@pytest.mark.slow  # the drill of `make reliability`; test_hostile_sql.py runs the same queries
def test_hostile_sql_drill_has_no_escapes() -> None:
    report = hostile_sql_drill(timeout_s=1.5)
    assert report.tried >= 60
    assert report.escapes == 0
    assert report.refused + report.contained == report.tried
    assert report.db_unchanged
    assert report.slowest_s <= 2.0


@pytest.mark.slow
def test_killed_runs_resume_without_losing_or_duplicating_samples(tmp_path: Path) -> None:
    report = kill_resume_drill(tmp_path, seeds=2, limit=16)
    assert report.kills >= 1
    assert report.lost == 0
    assert report.duplicates == 0
    assert report.kept_samples == report.expected_samples
