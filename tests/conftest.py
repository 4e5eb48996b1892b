"""Test-wide isolation: caches, data and logs go to a temporary directory, never the user's."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="finbehave-tests-"))
os.environ.setdefault("FINBEHAVE_CACHE_DIR", str(_ROOT / "cache"))
os.environ.setdefault("FINBEHAVE_DATA_DIR", str(_ROOT / "data"))
os.environ.setdefault("INSPECT_LOG_DIR", str(_ROOT / "logs"))
os.environ.setdefault("INSPECT_DISPLAY", "none")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED_FINQA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "finqa"
