"""Stub peers for the ETL server tests: a next hop (destination target or ETL stage) that records
every PUT and answers as told."""
import http.server
import socket
import threading


class StubHop(http.server.ThreadingHTTPServer):
    daemon_threads = True
    """Plays the destination target or a next stage: records every PUT and answers as told."""

    def __init__(self, status=200, body=b"", headers=None, reset_first=0):
        self.puts = []
        self.status, self.body, self.headers, self.reset_first = status, body, headers or {}, reset_first
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_PUT(self):
                data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.reset_first > 0:
                    outer.reset_first -= 1
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    return
                outer.puts.append({"path": self.path, "body": data, "node_url": self.headers.get("Ais-Node-Url"),
                                   "auth": self.headers.get("Authorization"),
                                   "content_length": self.headers.get("Content-Length")})
                self.send_response(outer.status)
                for k, v in outer.headers.items():
                    self.send_header(k, v)
                if outer.status != 204:
                    self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                if outer.status != 204:
                    self.wfile.write(outer.body)

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def last(self):
        return self.puts[-1]

    def close(self):
        self.shutdown()
        self.server_close()
