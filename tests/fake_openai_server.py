"""A tiny OpenAI-compatible chat server on 127.0.0.1 for tests and benchmarks.

``with FakeOpenAIServer(script=[...]) as server:`` serves ``POST /v1/chat/completions`` at
``server.base_url`` in a daemon thread and shuts itself down after ``lifetime`` seconds at the
latest. Each request consumes the next ``script`` step, then ``default(request)`` answers. A step is
a reply (:func:`reply`) or a fault: ``RateLimit(retry_after)`` (429 with ``Retry-After``),
``ServerError()`` (500), ``Hang(seconds)`` (no answer, then the connection closes),
``TruncatedStream()`` (streaming requests: one chunk, then the connection closes; non-streaming:
a cut-off JSON body). Malformed tool-call JSON and empty content are plain replies, e.g.
``reply(tool_calls=[tool_call("sql_query", '{"query": ')])`` or ``reply("")``. Every request body
is kept in ``server.requests``; ``latency`` adds a fixed delay to every answer.
``scripted_agent(items)`` is a ``default`` that plays finbehave's scripted policies.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from finbehave.data.items import Item


@dataclass
class RateLimit:
    """Answer 429 with a ``Retry-After`` header."""

    retry_after: float = 1.0


@dataclass
class ServerError:
    """Answer 500."""

    status: int = 500


@dataclass
class Hang:
    """Send nothing for ``seconds``, then drop the connection."""

    seconds: float = 5.0


@dataclass
class TruncatedStream:
    """Drop the connection in the middle of the answer."""


Step = dict[str, Any] | RateLimit | ServerError | Hang | TruncatedStream


def tool_call(
    name: str, arguments: dict[str, Any] | str, call_id: str | None = None
) -> dict[str, Any]:
    """An OpenAI tool call; a ``str`` ``arguments`` is sent verbatim (use it for bad JSON)."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "id": call_id or f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": raw},
    }


def reply(
    content: str | None = "OK", tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An assistant message to send back."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return message


def _completion(message: dict[str, Any], model: str) -> dict[str, Any]:
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunks(message: dict[str, Any], model: str) -> list[dict[str, Any]]:
    base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0, "model": model}
    delta: dict[str, Any] = {"role": "assistant", "content": message.get("content") or ""}
    if message.get("tool_calls"):
        delta["tool_calls"] = [
            {"index": index, **call} for index, call in enumerate(message["tool_calls"])
        ]
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return [
        base | {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        base | {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
    ]


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: with 50 clients connecting at once the kernel
    # drops SYNs and clients wait seconds to retry, which would measure the server, not us.
    request_queue_size = 512
    daemon_threads = True


class FakeOpenAIServer:
    """Scripted OpenAI-compatible server; use as a context manager."""

    def __init__(
        self,
        script: list[Step] | None = None,
        default: Callable[[dict[str, Any]], dict[str, Any]] = lambda request: reply(),
        latency: float = 0.0,
        lifetime: float = 120.0,
    ) -> None:
        self.script = list(script or [])
        self.default = default
        self.latency = latency
        self.lifetime = lifetime
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def _next_step(self, request: dict[str, Any]) -> Step:
        with self._lock:
            self.requests.append(request)
            if self.script:
                return self.script.pop(0)
        return self.default(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Silence request logging."""

            def _send(
                self, status: int, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                step = server._next_step(request)
                if server.latency:
                    time.sleep(server.latency)
                model = request.get("model", "fake")
                if isinstance(step, RateLimit):
                    error = {"error": {"message": "rate limited", "type": "rate_limit_error"}}
                    self._send(
                        429, json.dumps(error).encode(), {"Retry-After": str(step.retry_after)}
                    )
                elif isinstance(step, ServerError):
                    error = {"error": {"message": "server error", "type": "server_error"}}
                    self._send(step.status, json.dumps(error).encode())
                elif isinstance(step, Hang):
                    time.sleep(step.seconds)
                    self.close_connection = True
                elif request.get("stream"):
                    self._stream(step, model)
                elif isinstance(step, TruncatedStream):
                    body = json.dumps(_completion(reply("cut"), model)).encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                else:
                    self._send(200, json.dumps(_completion(step, model)).encode())

            def _stream(self, step: Step, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                message = reply("cut") if isinstance(step, TruncatedStream) else step
                chunks = _chunks(message, model)  # type: ignore[arg-type]
                if isinstance(step, TruncatedStream):
                    chunks = chunks[:1]
                for chunk in chunks:
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                if not isinstance(step, TruncatedStream):
                    self.wfile.write(b"data: [DONE]\n\n")
                self.close_connection = True

        return Handler

    def start(self) -> FakeOpenAIServer:
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        self._timer.start()
        return self

    def stop(self) -> None:
        self._timer.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _serve(
    conn: Any, default: Callable[[dict[str, Any]], dict[str, Any]], latency: float, lifetime: float
) -> None:
    server = FakeOpenAIServer(default=default, latency=latency, lifetime=lifetime).start()
    conn.send(server.base_url)
    conn.recv()  # any message (or the parent closing the pipe) stops the server
    server.stop()


class FakeHostProcess:
    """A :class:`FakeOpenAIServer` in its own process, so it does not share the client's GIL.

    ``default`` must be a module-level function (it is pickled for the child).
    """

    def __init__(
        self,
        default: Callable[[dict[str, Any]], dict[str, Any]],
        latency: float = 0.0,
        lifetime: float = 3600.0,
    ) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, default, latency, lifetime), daemon=True
        )
        self._process.start()
        if not self._conn.poll(60):
            self._process.kill()
            raise RuntimeError("the fake host process did not start within 60 s")
        self.base_url: str = self._conn.recv()

    def stop(self) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            self._conn.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()


def scripted_agent(items: Sequence[Item]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A ``default`` that answers as finbehave's scripted policy named by the request's ``model``
    (``careful``, ``reckless``, ...), on the item whose question the conversation asks, with the
    tools the request offers: the next tool call, or plain text once a ``submit`` has succeeded."""
    from export_reference import offered_tools, scripted_call

    def answer(request: dict[str, Any]) -> dict[str, Any]:
        messages = request["messages"]
        asked = json.dumps([m.get("content") for m in messages if m["role"] == "user"])
        item = next(i for i in items if json.dumps(i.question)[1:-1] in asked)
        offered = offered_tools(request.get("tools") or [])
        call = scripted_call(request["model"], item, messages, offered)
        if call is None:
            return reply("Submitted.")
        function, arguments = call
        call_id = f"call_{len(messages)}_{function}"
        return reply("", [tool_call(function, arguments, call_id)])

    return answer
