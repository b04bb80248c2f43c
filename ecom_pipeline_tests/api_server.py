"""Local HTTP servers on loopback for the pull tests: each API's test writes a handler in that API's documented
shapes; this runs it, answers JSON, and stops it after the test."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class JsonHandler(BaseHTTPRequestHandler):
    """A handler that answers JSON; `api` is the test's server object (its pages, failures, what it received)."""

    api = None

    def log_message(self, *args):
        pass

    def answer(self, status: int, body, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class LocalApi:
    """An API answered by `Handler` (a JsonHandler subclass) on a free loopback port, in a thread."""

    Handler = JsonHandler

    def start(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), type("Bound", (self.Handler,), {"api": self}))
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"


def started(factory):
    """A fixture body: yields a function that starts servers of `factory`, and stops them all after the test."""
    servers = []

    def start(*args, **kwargs):
        servers.append(factory(*args, **kwargs))
        servers[-1].start()
        return servers[-1]

    yield start
    for server in servers:
        server.server.shutdown()
