"""Importers that turn public benchmark files into finbehave datasets (``finbehave data import``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from finbehave.data.importers.common import DataImportError, ImportSummary, Progress
from finbehave.data.store import DatasetWriter

Format = Literal["finqa", "snorkel"]

__all__ = ["DataImportError", "ImportSummary", "detect_format", "import_dataset"]


def detect_format(source: Path) -> Format:
    """``snorkel`` for a directory with ``benchmark_questions/``, ``finqa`` for a JSON list."""
    if source.is_dir():
        if (source / "benchmark_questions").is_dir():
            return "snorkel"
        raise DataImportError(
            f"{source} is a directory without benchmark_questions/; pass a FinQA JSON file "
            "or a Snorkel-layout directory"
        )
    if not source.is_file():
        raise DataImportError(f"{source} does not exist; pass a FinQA JSON file or a directory")
    with source.open("rb") as handle:
        head = handle.read(4096).lstrip()
    if head.startswith(b"["):
        return "finqa"
    raise DataImportError(
        f"cannot tell the format of {source}: expected a FinQA JSON list of records with 'qa' "
        "(train.json/dev.json/test.json) or a Snorkel-layout directory; use --format"
    )


def import_dataset(
    source: Path,
    name: str,
    format: Format | None = None,
    eval_only: bool = False,
    progress: Progress | None = None,
    root: Path | None = None,
) -> ImportSummary:
    """Import ``source`` as dataset ``name`` (atomically replacing any dataset of that name).

    ``root`` overrides the user data directory (``FINBEHAVE_DATA_DIR`` or platformdirs).
    Raises ``DataImportError`` (one line, naming the fix) when the source cannot be imported, and
    its base class ``DatasetError`` for an invalid dataset name.
    """
    from finbehave.data.importers.finqa import import_finqa
    from finbehave.data.importers.snorkel import import_snorkel

    source = Path(source).expanduser()
    fmt = format or detect_format(source)
    if fmt not in ("finqa", "snorkel"):
        raise DataImportError(f"unknown format {fmt!r}: use finqa or snorkel")
    writer = DatasetWriter.imported(name, root)
    summary = ImportSummary(name=name, path=writer.target, format=fmt)
    try:
        if fmt == "finqa":
            if not source.is_file():
                raise DataImportError(f"{source} is not a file; FinQA sources are JSON lists")
            import_finqa(source, writer, summary, progress)
            description = f"FinQA records imported from {source.name}"
        else:
            import_snorkel(source, writer, summary, progress)
            eval_only = True
            description = f"Snorkel-layout benchmark imported from {source.name} (evaluation only)"
        summary.companies = len(writer.display)
        writer.commit(str(source), eval_only, description)
    except json.JSONDecodeError as exc:
        raise DataImportError(
            f"{source}: invalid JSON ({exc.msg}); fix or re-download it"
        ) from None
    finally:
        writer.abort()
    return summary
