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

from finbehave.data.items import CompanyTables, TableSpec
from finbehave.data.store import DatasetStore, user_cache_dir

_LOCK = threading.Lock()
_PATHS: dict[tuple[str, str], Path] = {}


def quote_ident(name: str) -> str:
    """A SQL identifier, double-quoted with embedded quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def _load_table(con, table: TableSpec) -> None:
    import pyarrow as pa

    columns = ", ".join(f"{quote_ident(c.name)} {c.type}" for c in table.columns)
    con.execute(f"CREATE TABLE {quote_ident(table.name)} ({columns})")
    if not table.rows:
        return
    arrays = {
        f"c{i}": pa.array([row[i] for row in table.rows], from_pandas=True)
        for i in range(len(table.columns))
    }
    staged = pa.table(arrays)  # noqa: F841  (read by DuckDB's replacement scan below)
    select = ", ".join(f"CAST(c{i} AS {c.type})" for i, c in enumerate(table.columns))
    con.execute(f"INSERT INTO {quote_ident(table.name)} SELECT {select} FROM staged")


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
                _load_table(con, table)
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
