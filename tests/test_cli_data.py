"""`finbehave data import|list|info|remove` from the command line."""

from __future__ import annotations

from conftest import SHARED_FINQA, needs_shared
from typer.testing import CliRunner

from finbehave.cli import app

runner = CliRunner()
EXAMPLE = SHARED_FINQA / "snorkel" / "example"


@needs_shared(EXAMPLE)
def test_import_list_info_remove() -> None:
    result = runner.invoke(app, ["data", "import", str(EXAMPLE), "--name", "cli_example"])
    assert result.exit_code == 0, result.output
    assert "items: 6" in result.output
    listing = runner.invoke(app, ["data", "list"])
    assert "cli_example" in listing.output and "embedded" in listing.output
    info = runner.invoke(app, ["data", "info", "cli_example"])
    assert info.exit_code == 0 and "eval-only" in info.output
    assert runner.invoke(app, ["data", "remove", "cli_example"]).exit_code == 0
    assert runner.invoke(app, ["data", "info", "cli_example"]).exit_code == 2


def test_bad_sources_exit_2(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"qa": ')
    result = runner.invoke(app, ["data", "import", str(bad), "--name", "broken"])
    assert result.exit_code == 2
    assert "error:" in result.output
    result = runner.invoke(app, ["data", "import", str(bad), "--name", "x", "--format", "csv"])
    assert result.exit_code == 2
