"""The report page in headless Chromium (Debian's chromium, driven by Playwright).

`.ci/run` installs chromium; where it cannot be installed the test is skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log, write_eval_log
from inspect_ai.model import ChatMessageAssistant

from finbehave.logs import Source
from finbehave.reports.build import build_report
from finbehave.tasks.finqa import finqa

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EVIL = '<script>alert("xss")</script><img src=x onerror="alert(1)">'

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason=os.environ.get(
        "FINBEHAVE_NO_CHROMIUM", "chromium is not installed (apt-get install chromium)"
    ),
)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    for policy in ("careful", "no_schema"):
        log = inspect_eval(
            finqa(split="test"),
            model=f"finbehave/scripted/{policy}",
            limit=4,
            log_dir=str(root / "raw"),
            display="none",
        )[0]
        full = read_eval_log(log.location)
        for sample in full.samples:
            sample.messages.append(ChatMessageAssistant(content=EVIL))
        write_eval_log(full, str(root / "logs" / Path(log.location).name))
    build_report([Source(root / "logs")], root / "report")
    return root / "report" / "index.html"


def test_page_renders_without_errors_and_transcripts_collapse(report: Path, tmp_path: Path):
    playwright = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith("file:") else problems.append(r.url))
        page.goto(report.as_uri())
        transcripts = page.locator("details.transcript")
        assert transcripts.count() >= 2
        first = transcripts.first
        assert first.get_attribute("open") is None
        assert not first.locator(".turn").first.is_visible()
        first.locator("summary").click()
        assert first.get_attribute("open") is not None
        assert first.locator(".turn").first.is_visible()
        page.click("#expand-all")
        assert page.locator("details.transcript[open]").count() == transcripts.count()
        page.click("#collapse-all")
        assert page.locator("details.transcript[open]").count() == 0
        page.click("#expand-all")
        assert page.get_by_text('alert("xss")').first.is_visible()  # shown as text, not run
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert problems == []
    assert shot.stat().st_size > 20_000
