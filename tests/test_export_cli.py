"""``finbehave export``: what goes into a package, and bad input refused before anything is written.

Needs neither extra: writing a package imports neither verifiers nor OpenEnv.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tiny_dataset import write_diag, write_tiny_dataset
from typer.testing import CliRunner

from finbehave.cli import app
from finbehave.data.store import load_dataset
from finbehave.export.bundle import BUNDLE, MANIFEST, Bundle
from finbehave.export.package import MARKER
from finbehave.rubrics.spec import DEFAULT_RUBRIC
from finbehave.training.reward import uniform_weights

runner = CliRunner()
MODULES = {"verifiers": "finbehave_finqa", "openenv": "finbehave_finqa_openenv"}


def export(*args: str):
    return runner.invoke(app, ["export", *args])


def bundle_of(out: Path, target: str) -> Bundle:
    return Bundle(out / MODULES[target] / BUNDLE)


@pytest.mark.parametrize("target", ["verifiers", "openenv"])
def test_default_export_carries_every_train_item_and_uniform_weights(
    tmp_path: Path, target: str
) -> None:
    out = tmp_path / "pkg"
    result = export(target, "--output", str(out))
    assert result.exit_code == 0, result.output
    bundle = bundle_of(out, target)
    store = load_dataset()
    train = [i.id for i in store.iter_items() if i.split == "train"]
    assert sorted(bundle.items) == sorted(train)
    assert all(item.split == "train" for item in bundle.items.values())
    assert bundle.reward.weights == uniform_weights()
    assert {p.stem for p in (bundle.store.path / "companies").glob("*.json")} == {
        i.company for i in bundle.items.values()
    }
    for item in list(bundle.items.values())[:3]:  # the company tables are copied unchanged
        assert bundle.store.company(item.company) == store.company(item.company)
    assert (out / "pyproject.toml").is_file() and (out / "README.md").is_file()
    assert "pip install" in (out / "README.md").read_text()
    assert json.loads((out / MARKER).read_text())["target"] == target


def test_writing_a_package_imports_neither_extra(tmp_path: Path) -> None:
    code = (
        "import sys; from finbehave.export.package import export_package; "
        "from finbehave.export.bundle import ExportRequest; "
        f"export_package('verifiers', ExportRequest(), {str(tmp_path / 'a')!r}); "
        f"export_package('openenv', ExportRequest(), {str(tmp_path / 'b')!r}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('verifiers', 'openenv')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_diagnosis_targets_and_weights_are_exported(tmp_path: Path) -> None:
    data = write_tiny_dataset(tmp_path / "tiny")
    diag = write_diag(tmp_path / "diagnosis.json", ["finqa-acme-002"], ["finqa-acme-001"])
    out = tmp_path / "pkg"
    result = export("openenv", "-o", str(out), "--dataset", str(data), "--diagnosis", str(diag))
    assert result.exit_code == 0, result.output
    bundle = bundle_of(out, "openenv")
    assert list(bundle.items) == ["finqa-acme-002"]
    assert bundle.reward.weights["grounding"] == 0.5
    assert bundle.reward.weights["efficiency"] == 0.0
    assert "diagnosis" in json.loads((bundle.folder / MANIFEST).read_text())["weights_source"]


def test_test_split_only_when_asked(tmp_path: Path) -> None:
    data = write_tiny_dataset(tmp_path / "tiny")
    out = tmp_path / "pkg"
    result = export("verifiers", "-o", str(out), "--dataset", str(data), "--split", "test")
    assert result.exit_code == 0, result.output
    assert sorted(bundle_of(out, "verifiers").items) == [
        "finqa-acme-001",
        "finqa_reasoning-acme-001",
    ]


def _bad_rubric(tmp_path: Path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ncriteria:\n  - id: a\n    behaviour: flying\n    weight: 1\n")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "no_such_dataset"], "unknown dataset 'no_such_dataset'"),
        (["--diagnosis", "{tmp}/missing.json"], "no such diagnosis file"),
        (["--diagnosis", "{tmp}/garbage.json"], "not readable JSON"),
        (["--diagnosis", "{tmp}/other_rubric.json"], "made with rubric version"),
        (["--diagnosis", "{tmp}/test_target.json"], "is in the test split"),
        (["--rubric", "{tmp}/missing.yaml"], "missing.yaml"),
        (["--rubric", "{tmp}/bad.yaml"], "behaviour"),
        (["--tasks", "finqa,poetry"], "unknown task 'poetry'"),
        (["--split", "dev"], "--split must be train, test or all"),
        (["--name", "Bad Name"], "invalid package name"),
        (["--dataset", "{tmp}/evalonly"], "eval-only"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    tmp_path: Path, args: list[str], message: str
) -> None:
    data = write_tiny_dataset(tmp_path / "tiny")
    evalonly = write_tiny_dataset(tmp_path / "evalonly", name="evalonly")
    manifest = json.loads((evalonly / "manifest.json").read_text())
    (evalonly / "manifest.json").write_text(json.dumps({**manifest, "eval_only": True}))
    (tmp_path / "garbage.json").write_text("{not json")
    write_diag(tmp_path / "other_rubric.json", [], [], rubric_version="0123456789ab")
    write_diag(tmp_path / "test_target.json", ["finqa-acme-001"], [])
    _bad_rubric(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    if "test_target.json" in " ".join(args):
        args += ["--dataset", str(data)]
    out = tmp_path / "pkg"
    result = export("verifiers", "-o", str(out), *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert result.output.startswith("error:") and len(result.output.strip().splitlines()) == 1
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".pkg")] == []


def test_an_existing_folder_that_is_not_an_export_is_left_alone(tmp_path: Path) -> None:
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    result = export("openenv", "-o", str(out))
    assert result.exit_code == 2 and "not a finbehave export" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_re_export_replaces_an_earlier_export_whole(tmp_path: Path) -> None:
    data = write_tiny_dataset(tmp_path / "tiny")
    out = tmp_path / "pkg"
    assert export("openenv", "-o", str(out)).exit_code == 0
    stale = out / "finbehave_finqa_openenv" / "stale.txt"
    stale.write_text("from the first export")
    result = export("openenv", "-o", str(out), "--dataset", str(data))
    assert result.exit_code == 0, result.output
    assert list(bundle_of(out, "openenv").items) == ["finqa-acme-002"]
    assert not stale.exists()
    bad = export("openenv", "-o", str(out), "--rubric", str(_bad_rubric(tmp_path)))
    assert bad.exit_code == 2
    assert list(bundle_of(out, "openenv").items) == ["finqa-acme-002"]  # kept as it was
    assert (bundle_of(out, "openenv").folder / "rubric.yaml").read_text() == (
        DEFAULT_RUBRIC.read_text()
    )


@pytest.mark.slow
@pytest.mark.parametrize("target", ["verifiers", "openenv"])
def test_the_package_installs_with_its_bundle(tmp_path: Path, target: str) -> None:
    """pip builds and installs the package (offline, no dependencies), bundle included."""
    out = tmp_path / "pkg"
    assert export(target, "-o", str(out)).exit_code == 0
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(site), str(out)],
        capture_output=True, text=True,
    )  # fmt: skip
    if "bdist_wheel" in done.stderr:
        pytest.skip("building a wheel needs setuptools >= 70.1 or the wheel package")
    assert done.returncode == 0, done.stderr[-2000:]
    installed = Bundle(site / MODULES[target] / BUNDLE)
    assert list(installed.items) == list(bundle_of(out, target).items)
    assert installed.store.companies() == bundle_of(out, target).store.companies()
