"""Python standard-library peer: ThreadingHTTPServer, as in the AIStore ETL benchmark.

GET /health -> 200 "Running"; any other GET or PUT -> 200 "Hello World!" (PUT drains the
body first). One thread per connection.

BaseHTTPRequestHandler speaks HTTP/1.0 by default, so the study's server closes the
connection after every response (the client reconnects per request). `--http11` switches the
handler to HTTP/1.1, which keeps connections alive (every response carries Content-Length,
which HTTP/1.1 persistence needs) and sets TCP_NODELAY (see main()).

Usage: server.py [--host 127.0.0.1] [--port N | $PORT] [--http11]
"""

import argparse
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HELLO = b"Hello World!"
RUNNING = b"Running"


class Handler(BaseHTTPRequestHandler):
    def _reply(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (name fixed by BaseHTTPRequestHandler)
        self._reply(RUNNING if self.path == "/health" else HELLO)

    def do_PUT(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        # Leftover body bytes would be parsed as the next request on a kept-alive
        # connection, so read all of it even though the answer does not depend on it.
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)
        self._reply(HELLO)

    def log_message(self, format, *args):  # noqa: A002 (signature fixed by the base class)
        pass  # per-request logging to stderr would dominate the cost being measured


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--http11", action="store_true", help="speak HTTP/1.1 and keep connections alive"
    )
    args = parser.parse_args()
    if args.http11:
        Handler.protocol_version = "HTTP/1.1"
        # Headers and body leave in two writes; on a kept-alive connection Nagle's algorithm
        # holds the body until the client's delayed ACK (~40 ms per response). HTTP/1.0
        # hides this because closing the socket flushes it.
        Handler.disable_nagle_algorithm = True
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"python-http listening on {args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
