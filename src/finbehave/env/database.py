"""One DuckDB file per company, built once from a dataset's company JSON into the cache.

Files live in ``<cache>/duckdb/<dataset name>-<content fingerprint>/<company>.duckdb`` and are
built atomically (a temporary file renamed into place), so concurrent builders and crashes never
leave a half-written database behind. The sandbox opens them read-only.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from finbehave.data.items import CompanyTables
from finbehave.data.store import DatasetStore, user_cache_dir
from finbehave.sql import load_table

_LOCK = threading.Lock()
_PATHS: dict[tuple[str, str], Path] = {}


def build_database(company: CompanyTables, path: Path) -> Path:
    """Write ``company``'s tables to a new DuckDB file at ``path`` (atomically)."""
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".duckdb", dir=path.parent)
    os.close(fd)
    os.unlink(tmp_name)  # DuckDB wants to create the file itself
    try:
        con = duckdb.connect(tmp_name)
        try:
            for table in company.tables:
                load_table(con, table)
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp_name, path)
    finally:
        for leftover in (tmp_name, tmp_name + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return path


def database_path(store: DatasetStore, company: str) -> Path:
    """The read-only DuckDB file of ``company`` in ``store``, built on first use."""
    key = (str(store.path), company)
    cached = _PATHS.get(key)
    if cached is not None and cached.is_file():
        return cached
    path = user_cache_dir() / "duckdb" / f"{store.name}-{store.fingerprint}" / f"{company}.duckdb"
    with _LOCK:
        if not path.is_file():
            build_database(store.company(company), path)
        _PATHS[key] = path
    return path
