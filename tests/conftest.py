"""Test-wide isolation (caches, data and logs go to a temporary directory, never the user's), and
the real FinQA samples some tests read: ``../shared/data/finqa`` beside the repository, or the
folder ``FINBEHAVE_SHARED_FINQA`` names. They are never copied into the repository; tests that
need them skip (``needs_shared``), saying what they need, where they are absent.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_ROOT = Path(tempfile.mkdtemp(prefix="finbehave-tests-"))
os.environ.setdefault("FINBEHAVE_CACHE_DIR", str(_ROOT / "cache"))
os.environ.setdefault("FINBEHAVE_DATA_DIR", str(_ROOT / "data"))
os.environ.setdefault("INSPECT_LOG_DIR", str(_ROOT / "logs"))
os.environ.setdefault("INSPECT_DISPLAY", "none")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED_FINQA = Path(
    os.environ.get("FINBEHAVE_SHARED_FINQA")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "finqa"
)


def needs_shared(path: Path) -> pytest.MarkDecorator:
    """Skip unless ``path`` (inside ``SHARED_FINQA``) exists, naming it and how to provide it."""
    return pytest.mark.skipif(
        not path.exists(),
        reason=f"needs the shared FinQA samples: {path} is absent "
        "(put them in ../shared/data/finqa beside the repo or set FINBEHAVE_SHARED_FINQA)",
    )
