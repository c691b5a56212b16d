"""A real local HTTP server for HTTP task tests (threading http.server on 127.0.0.1).

It records every request (method, path, headers, body) and answers by path:

- ``/orders...``: 201 with ``{"id": 42, "status": "created", "got": <the JSON body>}``;
- ``/flaky``: 503 for the first two requests, then 200 ``{"ok": true}``;
- ``/broken``: 500 with a text body;
- ``/to-localhost``: 302 to the same server by the name ``localhost``;
- ``/big``: 200 with 5,000 bytes;
- ``/plain``: 200 with a text body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    port: int
    requests: list[Seen] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def count(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)


def _handler_for(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # keep test output quiet
            pass

        def _answer(self, status: int, body: bytes, kind="application/json", **headers):
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.requests.append(Seen(self.command, self.path, dict(self.headers), body))
            path = self.path.split("?")[0]
            if path.startswith("/orders"):
                got = json.loads(body) if body else None
                reply = {"id": 42, "status": "created", "got": got}
                self._answer(201, json.dumps(reply).encode())
            elif path == "/flaky":
                if server.count("/flaky") <= 2:
                    self._answer(503, b"busy, try later", "text/plain")
                else:
                    self._answer(200, b'{"ok": true}')
            elif path == "/broken":
                self._answer(500, b"database on fire", "text/plain")
            elif path == "/to-localhost":
                target = f"http://localhost:{server.port}/orders"
                self._answer(302, b"", "text/plain", Location=target)
            elif path == "/big":
                self._answer(200, b"x" * 5000, "text/plain")
            elif path == "/plain":
                self._answer(200, b"hello", "text/plain")
            else:
                self._answer(404, b"no such thing", "text/plain")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    return Handler


def start() -> tuple[Server, ThreadingHTTPServer]:
    server = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(server))
    httpd.daemon_threads = True
    server.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return server, httpd
