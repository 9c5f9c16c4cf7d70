"""Stub peers for the ETL server tests: a next hop (destination target or ETL stage) that records
every PUT (Content-Length or chunked body) and answers as told."""
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

            def read_chunked(self):
                """The decoded body, or None when the sender broke off mid-body."""
                data = b""
                while True:
                    line = self.rfile.readline()
                    if not line.strip():
                        self.close_connection = True
                        return None
                    size = int(line.split(b";")[0], 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()

            def do_PUT(self):
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    data = self.read_chunked()
                    if data is None:
                        return
                else:
                    data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if outer.reset_first > 0:
                    outer.reset_first -= 1
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.connection.close()
                    return
                outer.puts.append({"path": self.path, "body": data, "node_url": self.headers.get("Ais-Node-Url"),
                                   "auth": self.headers.get("Authorization"),
                                   "content_length": self.headers.get("Content-Length"),
                                   "transfer_encoding": self.headers.get("Transfer-Encoding")})
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


class StubTarget(http.server.ThreadingHTTPServer):
    """Plays the source target for hpull: records each GET's raw path and Authorization;
    paths containing "missing" get 404, "boom" 500."""

    daemon_threads = True

    def __init__(self):
        self.gets = []
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                outer.gets.append((self.path, self.headers.get("Authorization")))
                if "missing" in self.path:
                    code, body = 404, b"no such object"
                elif "boom" in self.path:
                    code, body = 500, b"target exploded"
                else:
                    code, body = 200, b"from-target:" + self.path.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        super().__init__(("127.0.0.1", 0), H)
        self.base = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()
