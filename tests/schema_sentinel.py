"""A local HTTP server and a file holding a secret JSON Schema, for the no-fetch tests.

Whatever a door does with a schema that names them, the server must get no
request and the secret must appear in no answer (``outside_refs`` asserts the
first when the test ends).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

SECRET = "SECRET-SCHEMA-CONTENT-7f3a"
SECRET_SCHEMA = {"type": "string", "title": SECRET, "enum": [SECRET]}
OUTSIDE = "points outside this schema: only references inside the schema (#/...) are allowed"


@dataclass
class Sentinel:
    url: str
    requests: list[str] = field(default_factory=list)


class _SecretHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.sentinel.requests.append(self.path)
        body = json.dumps(SECRET_SCHEMA).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def sentinel():
    """A local HTTP server serving a secret schema, recording every request it gets."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SecretHandler)
    server.sentinel = Sentinel(f"http://127.0.0.1:{server.server_port}/x.json")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.sentinel
    server.shutdown()
    server.server_close()


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(SECRET_SCHEMA))
    return path.as_uri()


@pytest.fixture
def outside_refs(sentinel, secret_file):
    """Both kinds of outside reference; the test asserts the sentinel got nothing."""
    yield [secret_file, sentinel.url]
    assert sentinel.requests == []
