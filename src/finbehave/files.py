"""Writing output files so that a reader, or a kill, never sees half of one."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


@contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` to write a set of files into.

    When the block finishes, each file is renamed into ``target`` (each rename atomic, the whole
    set after everything was written); on an error or Ctrl-C the temporary folder is removed and
    ``target`` is left as it was.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
    try:
        yield stage
        target.mkdir(exist_ok=True)
        for path in sorted(stage.iterdir()):
            path.replace(target / path.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
