"""A bulk-SMS provider on 127.0.0.1 that fails, times out or succeeds, as told."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    """Closing waits for requests still being answered (a "slow" answer outliving its
    test would write into the next one's output), and a client that gave up waiting (a
    sender's timeout, which the tests cause on purpose) is not an error."""

    daemon_threads = False
    block_on_close = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class FakeGateway:
    def __init__(self) -> None:
        self.mode = "ok"  # "ok", "fail" (503), "reject" (400), "slow"
        self.delay = 1.5  # how long "slow" takes to answer, in seconds
        self.received: list[tuple[dict[str, Any], str | None]] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                if gateway.mode == "slow":
                    time.sleep(gateway.delay)
                if gateway.mode == "fail":
                    self.send_response(503)
                    self.end_headers()
                    return
                if gateway.mode == "reject":
                    self.send_response(400)
                    self.end_headers()
                    return
                gateway.received.append((body, self.headers.get("Authorization")))
                answer = json.dumps(
                    {"status": "accepted", "messageId": f"gw-{len(gateway.received)}"}
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer.encode())

            def log_message(self, *_args: Any) -> None:  # keep test output clean
                return

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
