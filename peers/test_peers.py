"""Starts every installed peer of peers.json, checks the behaviour the benchmark relies on,
and stops it by process group. A peer that is not installed is skipped with the reason.

Responses are parsed with h11 (an independent HTTP/1.1 implementation), which also tells
whether the server allowed the connection to be reused.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import h11
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import launch  # noqa: E402

HELLO = b"Hello World!"
BODY = b"test"  # the Locust client's PUT body
PEERS = launch.load_peers()


class _Target(BaseHTTPRequestHandler):
    """Stub AIS target: GET /<path> answers b"object:" + path, so a GET through an SDK
    server proves it fetched from AIS_TARGET_URL and applied its transform."""

    def do_GET(self):  # noqa: N802
        # FastAPIServer and FlaskServer percent-encode '/' in the object path
        # (quote(path, safe="@")); HTTPMultiThreadedServer forwards it as is.
        body = b"object:" + unquote(self.path).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture(scope="module")
def target_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class Client:
    """One TCP connection; exchange() sends a request and reads the whole response."""

    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.conn = h11.Connection(h11.CLIENT)
        self.host = f"{host}:{port}"

    def close(self):
        self.sock.close()

    def exchange(self, method: str, target: str, body: bytes | None = None):
        if self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE:
            self.conn.start_next_cycle()
        headers = [("Host", self.host)]
        if body is not None:
            headers.append(("Content-Length", str(len(body))))
        data = self.conn.send(h11.Request(method=method, target=target, headers=headers))
        if body is not None:
            data += self.conn.send(h11.Data(data=body))
        data += self.conn.send(h11.EndOfMessage())
        self.sock.sendall(data)
        status, chunks = None, []
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.Data):
                chunks.append(bytes(event.data))
            elif isinstance(event, h11.EndOfMessage):
                return status, b"".join(chunks)

    def reusable(self) -> bool:
        """Whether the server's response lets the client send another request here."""
        return self.conn.our_state is h11.DONE and self.conn.their_state is h11.DONE

    def at_eof(self) -> bool:
        """True if the server has closed its side (a recv returns no bytes)."""
        self.sock.settimeout(5)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True


def request(running: launch.Running, method: str, target: str, body: bytes | None = None):
    client = Client(running.host, running.port)
    try:
        return client.exchange(method, target, body)
    finally:
        client.close()


@pytest.fixture(scope="module", params=PEERS, ids=[p["name"] for p in PEERS])
def peer(request, target_url):
    spec = request.param
    why = launch.missing(spec)
    if why:
        pytest.skip(f"{spec['name']}: {why}")
    env = {"AIS_TARGET_URL": target_url} if spec["get"] == "via-target" else None
    running = launch.start(spec, env=env)
    yield running
    launch.stop(running)
    assert running.proc.returncode is not None


def expected_put(spec: dict) -> bytes:
    return BODY if spec["put"] == "echo" else HELLO


def test_peer_behaviour(peer: launch.Running):
    spec = peer.peer

    assert request(peer, "GET", "/health") == (200, b"Running")

    assert request(peer, "PUT", "/bucket/obj", BODY) == (200, expected_put(spec))
    status, body = request(peer, "PUT", "/", BODY)
    if spec["put_root"]:
        assert (status, body) == (200, expected_put(spec))
    else:
        assert status == 404, body

    if spec["get"] == "hello":
        assert request(peer, "GET", "/") == (200, HELLO)
        assert request(peer, "GET", "/bucket/obj") == (200, HELLO)
    else:
        # The SDK fetched the object from the stub target and transformed it.
        want = b"object:/bucket/obj" if spec["put"] == "echo" else HELLO
        assert request(peer, "GET", "/bucket/obj") == (200, want)


def test_peer_keep_alive(peer: launch.Running):
    spec = peer.peer
    put_target = "/" if spec["put_root"] else "/bucket/obj"
    client = Client(peer.host, peer.port)
    try:
        assert client.exchange("PUT", put_target, BODY) == (200, expected_put(spec))
        if spec["keep_alive"]:
            assert client.reusable(), f"{spec['name']} closed a keep-alive connection"
            # The body of the first request was drained: the second parses cleanly.
            assert client.exchange("GET", "/health") == (200, b"Running")
            assert client.exchange("PUT", put_target, BODY) == (200, expected_put(spec))
        else:
            assert not client.reusable(), f"{spec['name']} kept the connection open"
            assert client.at_eof()
    finally:
        client.close()


def test_peers_json_is_consistent():
    names = [p["name"] for p in PEERS]
    assert len(names) == len(set(names))
    for spec in PEERS:
        assert any("{port}" in a for a in spec["argv"]) or "{port}" in spec["env"].values()
        assert spec["ready"] == "/health"
        assert spec["put"] in ("hello", "echo")
        assert spec["get"] in ("hello", "via-target")
        assert spec["workers"] >= 1
