"""The SQL sandbox: every model query is treated as hostile.

Queries run in a small pool of long-lived worker processes (``python -m finbehave.env.sandbox``,
talking over two pipes; unlike multiprocessing's ``spawn`` this never re-imports the caller's
``__main__``), never in the caller's process. Each worker opens the company databases **read-only** with external access
disabled, configuration locked, one thread and a memory limit, and caps its own address space.
For every query the worker parses it with DuckDB's own parser, accepts exactly one ``SELECT``
(``WITH ... SELECT`` included) and refuses table functions that reach outside the data, runs it on
a fresh cursor (so no temporary object survives the call) and fetches at most ``max_rows + 1``
rows. The caller waits with a hard wall-clock limit: a worker that overruns it — including inside
functions that ignore DuckDB interrupts, such as ``repeat('x', 10^9)`` — or that dies is killed
and replaced, and the caller gets a ``SandboxError`` the model can read.

Every ``SandboxError`` carries a ``kind`` (``finbehave.vocab.ErrorKind``) so callers never read
its wording: ``refused`` when the sandbox's policy or limits stopped the query (not one
``SELECT``, a denied function, too long, NUL bytes, invalid text, out of time or memory),
``missing_table`` when DuckDB's catalog has no such table, ``error`` for any other mistake
(syntax, a wrong column, ...).
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import queue
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from finbehave.vocab import ErrorKind

# Table functions and scalar functions that reach outside the company's tables, or run SQL
# given as a string. External access is disabled anyway; this list is defence in depth.
_DENIED_FUNCTION = re.compile(
    r"\b(read_\w+|parquet_\w+|sqlite_\w+|iceberg_\w+|delta_\w+|json_execute_serialized_sql"
    r"|glob|getenv|query|query_table|duckdb_secrets|which_secret|load_aws_credentials"
    r"|duckdb_extensions|duckdb_databases|duckdb_settings|pragma_\w+|current_setting"
    r"|install|load)\s*\(",
    re.IGNORECASE,
)
_PATHS = re.compile(r"(/[\w.\-]+){2,}")
OPEN_DATABASES = 6  # per worker; each open DuckDB instance reserves ~300 MB of address space


class SandboxError(Exception):
    """A query was refused or failed; the message is meant for the model, ``kind`` for code."""

    def __init__(self, message: str, kind: ErrorKind = "error") -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


@dataclass(frozen=True)
class SandboxLimits:
    """Bounds for one query."""

    timeout_s: float = 2.0  # wall clock per query; FinQA tables answer in milliseconds
    max_rows: int = 50
    max_chars: int = 8_000
    max_query_chars: int = 20_000
    memory_limit: str = "256MB"
    address_space_bytes: int = 3 * 1024**3


@dataclass
class QueryResult:
    """The (capped) result of a query."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool = False
    max_chars: int = 8_000
    notes: list[str] = field(default_factory=list)

    def to_text(self) -> str:
        """A compact text table: a header line, one line per row, ``|`` between cells."""
        lines = [" | ".join(self.columns)]
        lines += [" | ".join(_cell(v) for v in row) for row in self.rows]
        text = "\n".join(lines)
        notes = list(self.notes)
        if len(text) > self.max_chars:
            text = text[: self.max_chars].rsplit("\n", 1)[0] or text[: self.max_chars]
            notes.append(f"output cut at {self.max_chars} characters")
        if self.truncated:
            notes.append(
                f"showing the first {len(self.rows)} rows only; "
                "narrow the query with WHERE, aggregates or LIMIT"
            )
        if not self.rows:
            notes.append("0 rows")
        return text + "".join(f"\n({note})" for note in notes)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return f"{value:.1f}"
        return f"{value:.10g}"
    return str(value)


def check_text(sql: str, limits: SandboxLimits) -> str:
    """Cheap checks in the caller: type, size, NUL bytes, encoding, denied functions."""
    if not isinstance(sql, str):
        raise SandboxError("query must be a string containing one SELECT statement")
    if "\x00" in sql:
        raise SandboxError("query contains a NUL byte; send plain SQL text", "refused")
    try:
        sql.encode("utf-8")
    except UnicodeEncodeError:
        raise SandboxError(
            "query is not valid UTF-8 text; send plain SQL text", "refused"
        ) from None
    if len(sql) > limits.max_query_chars:
        raise SandboxError(
            f"query is longer than {limits.max_query_chars} characters; write a shorter query",
            "refused",
        )
    if not sql.strip():
        raise SandboxError("empty query; send one SELECT statement")
    denied = _DENIED_FUNCTION.search(sql)
    if denied:
        name = denied.group(1)
        raise SandboxError(
            f"function {name}() is not allowed here; query the company's tables only "
            "(list them with get_table_names)",
            "refused",
        )
    return sql


def clean_error(message: str) -> str:
    """DuckDB's message without internal noise: file paths, and tuning hints (``SET ...``,
    links) that a model cannot act on here."""
    message = _PATHS.sub("<path>", message).split("Possible solutions:")[0]
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    return "\n".join(lines[:6])


# --- worker process -------------------------------------------------------------------------


def _open(path: str, limits: SandboxLimits) -> Any:
    import duckdb

    config = {
        "enable_external_access": False,
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_community_extensions": False,
        "threads": 1,
        "memory_limit": limits.memory_limit,
        "max_temp_directory_size": "0B",
        "lock_configuration": True,
    }
    connection = duckdb.connect(path, read_only=True, config=config)
    return connection


def _duckdb_error(exc: Exception) -> tuple:
    """DuckDB's error as a reply: a catalog error about a table is a missing table (DuckDB's
    exception class and its own wording decide), anything else a plain error."""
    import duckdb

    message = clean_error(str(exc))
    missing = isinstance(exc, duckdb.CatalogException) and "Table with name" in message
    return ("error", "missing_table" if missing else "error", message)


def _execute(connections: dict[str, Any], path: str, sql: str, limits: SandboxLimits) -> tuple:
    """Run one query; replies ``("ok", columns, rows, truncated)`` or ``("error", kind, text)``."""
    import duckdb

    base = connections.pop(path, None)
    if base is None:
        if not Path(path).is_file():
            missing = "the database for this sample is missing; this is a harness bug"
            return ("error", "error", missing)
        base = _open(path, limits)
        while len(connections) >= OPEN_DATABASES:  # least recently used first
            connections.pop(next(iter(connections))).close()
    connections[path] = base  # most recently used last
    cursor = base.cursor()
    try:
        try:
            statements = cursor.extract_statements(sql)
        except duckdb.Error as exc:
            return _duckdb_error(exc)
        if len(statements) != 1:
            return ("error", "refused", f"send exactly one statement (got {len(statements)})")
        kind = statements[0].type
        if kind != duckdb.StatementType.SELECT:
            name = str(kind).rsplit(".", 1)[-1]
            return (
                "error",
                "refused",
                f"{name} statements are not allowed: the database is read-only; "
                "send one SELECT (or WITH ... SELECT) statement",
            )
        cursor.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        rows = cursor.fetchmany(limits.max_rows + 1)
        truncated = len(rows) > limits.max_rows
        rows = [
            tuple(v[: limits.max_chars] if isinstance(v, str) else v for v in row)
            for row in rows[: limits.max_rows]
        ]
        return ("ok", columns, rows, truncated)
    except duckdb.Error as exc:
        return _duckdb_error(exc)
    finally:
        cursor.close()


def _worker(requests: Connection, replies: Connection, limits: SandboxLimits) -> None:
    import resource

    # DuckDB draws a progress bar on long queries; the worker's output goes nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)

    resource.setrlimit(resource.RLIMIT_AS, (limits.address_space_bytes, limits.address_space_bytes))
    connections: dict[str, Any] = {}
    while True:
        try:
            message = requests.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        path, sql, query_limits = message
        try:
            reply = _execute(connections, path, sql, query_limits)
        except MemoryError:
            reply = ("error", "refused", "the query ran out of memory; aggregate or filter it")
        except Exception as exc:
            reply = ("error", "error", clean_error(f"{type(exc).__name__}: {exc}"))
        try:
            replies.send(reply)
        except (OSError, ValueError):
            return


# --- the pool -------------------------------------------------------------------------------


class _Worker:
    """One worker subprocess and the two pipes to it."""

    def __init__(self, limits: SandboxLimits) -> None:
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "finbehave.env.sandbox", str(request_r), str(reply_w)],
            pass_fds=(request_r, reply_w),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )
        os.close(request_r)
        os.close(reply_w)
        self.requests = Connection(request_w, readable=False)
        self.replies = Connection(reply_r, writable=False)
        self.requests.send(limits)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        self.requests.close()
        self.replies.close()


class SqlSandbox:
    """A thread-safe pool of sandbox workers."""

    def __init__(self, workers: int = 2, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self._size = workers
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._started = 0
        self._lock = threading.Lock()
        self._closed = False

    def _acquire(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise SandboxError("the sandbox is shut down")
            if self._idle.empty() and self._started < self._size:
                self._started += 1
                return _Worker(self.limits)
        return self._idle.get()

    def _replace(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._started -= 1

    def run(
        self, db_path: Path | str, sql: str, limits: SandboxLimits | None = None
    ) -> QueryResult:
        """Run one hostile query against a read-only database, within ``limits``."""
        limits = limits or self.limits
        check_text(sql, limits)
        worker = self._acquire()
        try:
            worker.requests.send((str(db_path), sql, limits))
            reply = worker.replies.recv() if worker.replies.poll(limits.timeout_s) else None
        except (EOFError, OSError):
            self._replace(worker)
            raise SandboxError(
                "the query exceeded the sandbox's resource limits and was stopped; "
                "aggregate or filter it",
                "refused",
            ) from None
        except BaseException:  # cancelled or interrupted mid-query: never reuse the worker
            self._replace(worker)
            raise
        if reply is None:
            self._replace(worker)
            raise SandboxError(
                f"query timed out after {limits.timeout_s:g} s and was stopped; "
                "avoid cross joins and huge intermediate results",
                "refused",
            )
        self._idle.put(worker)
        if reply[0] == "error":
            raise SandboxError(reply[2], reply[1])
        _, columns, rows, truncated = reply
        return QueryResult(columns, rows, truncated, max_chars=limits.max_chars)

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
        while not self._idle.empty():
            worker = self._idle.get_nowait()
            with contextlib.suppress(OSError):
                worker.requests.send(None)
            worker.kill()


_SANDBOX: SqlSandbox | None = None
_SANDBOX_LOCK = threading.Lock()


def get_sandbox() -> SqlSandbox:
    """The process-wide sandbox (created on first use, closed at exit)."""
    global _SANDBOX
    with _SANDBOX_LOCK:
        if _SANDBOX is None:
            _SANDBOX = SqlSandbox()
            atexit.register(_SANDBOX.close)
        return _SANDBOX


def _main(argv: list[str]) -> None:
    """Worker entry point: ``python -m finbehave.env.sandbox REQUEST_FD REPLY_FD``."""
    requests = Connection(int(argv[0]), writable=False)
    replies = Connection(int(argv[1]), readable=False)
    _worker(requests, replies, requests.recv())


if __name__ == "__main__":
    _main(sys.argv[1:])
