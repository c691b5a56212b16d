"""A real HTTP server on localhost that receives webhooks (shared by the webhook tests).

``receiver.answers`` is a list of status codes used in turn (the last one
repeats); ``receiver.redirects`` maps a path to a Location to answer 307 with.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    answers: list[int] = field(default_factory=lambda: [200])
    redirects: dict[str, str] = field(default_factory=dict)
    reply: bytes | None = None  # the body to answer with (default: "answered <status>")
    received: list[Received] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def next_status(self) -> int:
        index = min(len(self.received) - 1, len(self.answers) - 1)
        return self.answers[index]


def start_receiver() -> Receiver:
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def _handle(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            receiver.received.append(
                Received(self.command, self.path, dict(self.headers.items()), body)
            )
            if self.path in receiver.redirects:
                self.send_response(307)
                self.send_header("Location", receiver.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = receiver.next_status()
            reply = receiver.reply if receiver.reply is not None else f"answered {status}".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        do_POST = _handle
        do_GET = _handle

        def log_message(self, *args):  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return receiver


@pytest.fixture(name="receiver")
def receiver_fixture():
    r = start_receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_the_receiver_answers_in_turn(receiver):
    import requests

    receiver.answers = [500, 200]
    assert requests.post(receiver.url + "/a", data="x", timeout=5).status_code == 500
    assert requests.post(receiver.url + "/a", data="y", timeout=5).status_code == 200
    assert [r.body for r in receiver.received] == ["x", "y"]
