"""Shared machinery for the contract-faithful fake vendors: a real HTTP server on 127.0.0.1 in a thread.

A vendor fake subclasses FakeVendorServer, declares routes with @route(method, regex), and implements the
vendor's document: field validation, status walks, credits, limits. This base adds what every fake needs:
- a request log (`requests`) and per-route counters,
- fault injection (`inject`): HTTP errors with bodies and headers (429 + Retry-After, 5xx), hangs, dropped
  connections — consumed in order, optionally only for one route,
- signed output URLs that expire (`publish_file`), answered 403 after their TTL like an expired S3 presigned URL,
- an adjustable clock (`clock`) so expiry and vendor timing need no sleeping.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        if not self.body:
            return {}
        return json.loads(self.body)

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    status: int = 200
    json_body: Any = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.json_body is not None:
            return json.dumps(self.json_body).encode()
        return self.body


def json_response(payload: Any, status: int = 200, **headers) -> Response:
    return Response(status=status, json_body=payload, headers=headers)


@dataclass
class Fault:
    # "status": answer with an error; "hang": sleep, then drop without doing anything; "drop": drop at once;
    # "lost": do the request (the job exists, it is charged), then sleep and drop: the answer never arrives;
    # "late": sleep first (the client gives up), THEN do it and drop — the vendor creates the job a moment after
    # the client gave up; "truncate": do it and send the headers and half the body, then close mid-body.
    kind: str
    status: int = 500
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    path: str | None = None  # regex; None = any route
    times: int = 1


def route(method: str, pattern: str):
    def decorator(fn):
        fn._fake_route = (method.upper(), re.compile(f"^{pattern}$"))
        return fn

    return decorator


class FakeVendorServer:
    #: prefix every route is served under, e.g. "/public/v1"
    prefix = ""

    def __init__(self):
        self.requests: list[Request] = []
        self.hits: Counter[str] = Counter()
        self.faults: list[Fault] = []
        self.lost_answers: list[tuple[Request, Response]] = []  # requests done whose answer the client never got
        self.lock = threading.RLock()
        self.time_offset = 0.0
        self._files: dict[str, tuple[bytes, str, float]] = {}
        self._file_secret = secrets.token_bytes(16)
        self._routes = [getattr(self, name)._fake_route + (getattr(self, name),)
                        for name in dir(type(self)) if hasattr(getattr(type(self), name), "_fake_route")]
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------------
    def start(self) -> "FakeVendorServer":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # TCP_NODELAY: otherwise each response with a body waits ~40 ms

            def log_message(self, *args):  # keep test output clean
                pass

            def _handle(self):
                fake._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The base URL a VendorAccount points at."""
        return self.origin + self.prefix

    # --- time and faults ---------------------------------------------------------------------------------------
    def clock(self) -> float:
        return time.time() + self.time_offset

    def advance(self, seconds: float) -> None:
        self.time_offset += seconds

    def inject(self, kind: str = "status", *, status: int = 500, payload: Any = None, headers=None,
               seconds: float = 0.0, path: str | None = None, times: int = 1) -> None:
        with self.lock:
            self.faults.append(Fault(kind, status, payload, dict(headers or {}), seconds, path, times))

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path is None or re.search(fault.path, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    # --- files whose URLs expire -------------------------------------------------------------------------------
    def publish_file(self, data: bytes, content_type: str = "image/png", ttl: float = 3600.0,
                     name: str = "output.png") -> str:
        """Serve `data` at a signed URL that answers 403 once `ttl` seconds (on this fake's clock) have passed."""
        token = secrets.token_hex(8)
        expires = self.clock() + ttl
        with self.lock:
            self._files[token] = (data, content_type, expires)
        sig = hmac.new(self._file_secret, f"{token}:{expires}".encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self.origin}/_files/{token}/{name}?Expires={expires:.0f}&Signature={sig}"

    def _serve_file(self, path: str, query: dict) -> Response:
        token = path.split("/")[2]
        with self.lock:
            entry = self._files.get(token)
        if entry is None:
            return Response(404, body=b"<Error><Code>NoSuchKey</Code></Error>", content_type="application/xml")
        data, content_type, expires = entry
        if self.clock() > expires:
            return Response(403, body=b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message>"
                                      b"</Error>", content_type="application/xml")
        return Response(200, body=data, content_type=content_type)

    # --- dispatch ----------------------------------------------------------------------------------------------
    def _dispatch(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        req = Request(handler.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                      {k.lower(): v for k, v in handler.headers.items()}, body)
        if parts.path.startswith("/_files/"):
            return self._write(handler, self._serve_file(parts.path, req.query))
        with self.lock:
            self.requests.append(req)
        self.on_request(req)
        fault = self._take_fault(parts.path)
        if fault is not None and fault.kind in ("lost", "late", "truncate"):
            if fault.kind == "late":
                time.sleep(fault.seconds)
            response = self._route(req, parts.path)  # the vendor does the work and charges for it
            with self.lock:
                self.lost_answers.append((req, response))
            if fault.kind == "truncate":
                return self._write(handler, response, truncate=True)
            if fault.kind == "lost":
                time.sleep(fault.seconds)
            return self._drop(handler)
        if fault is not None:
            if fault.kind == "hang":
                time.sleep(fault.seconds)
                return self._drop(handler)
            if fault.kind == "drop":
                return self._drop(handler)
            return self._write(handler, json_response(fault.payload or {"detail": "injected fault"},
                                                      fault.status, **fault.headers))
        return self._write(handler, self._route(req, parts.path))

    def _route(self, req: Request, full_path: str) -> Response:
        path = full_path[len(self.prefix):] if self.prefix and full_path.startswith(self.prefix) else (
            full_path if not self.prefix else None)
        for method, pattern, fn in self._routes:
            if path is not None and method == req.method:
                match = pattern.match(path)
                if match:
                    with self.lock:
                        self.hits[f"{method} {pattern.pattern.strip('^$')}"] += 1
                    try:
                        return fn(req, **match.groupdict())
                    except Exception as exc:  # a bug in the fake must be loud, not a silent hang
                        return json_response({"detail": f"fake crashed: {exc!r}"}, 599)
        return self.not_found(req)

    def on_request(self, req: Request) -> None:
        """Called for every API request as it arrives (fault-injected ones included): a vendor fake can record a
        pacing rule here."""

    def not_found(self, req: Request) -> Response:
        return json_response({"detail": "Not Found"}, 404)

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, response: Response, truncate: bool = False) -> None:
        body = response.encoded()
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(body)))
            for name, value in response.headers.items():
                handler.send_header(name.replace("_", "-"), str(value))
            handler.end_headers()
            if truncate:  # the promised Content-Length never arrives: the client sees the connection close mid-body
                handler.wfile.write(body[: len(body) // 2])
                handler.wfile.flush()
                FakeVendorServer._drop(handler)
                return
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    @staticmethod
    def _drop(handler: BaseHTTPRequestHandler) -> None:
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        handler.close_connection = True


def count(fake: FakeVendorServer, method: str, path_regex: str) -> int:
    """How many requests the fake received for a route (fault-injected ones included)."""
    return sum(1 for r in fake.requests if r.method == method and re.search(path_regex, r.path))


Handler = Callable[[Request], Response]
