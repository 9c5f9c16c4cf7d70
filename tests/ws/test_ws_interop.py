"""Python `websockets` (an independent RFC 6455 implementation) as the oracle for anvil::ws.

Server role: anvil-ws-echo-tool (built only on the anvil::ws codec) serves; the websockets
sync client sends text/binary, empty, fragmented, 1 MiB and 20 MiB messages, pings and UTF-8
edge cases and checks the echoes; raw frames injected under the client's socket (unmasked,
reserved opcode, RSV bits, oversize or fragmented control frames, bad UTF-8, bad close frames,
non-minimal lengths, too big) must make the tool close with the right code, as websockets
decodes it. Handshake failures are checked over a plain socket.

Client role: a websockets echo server; the tool in --client mode runs its script and must see
every echo; the server side checks it received exactly CLIENT_SCRIPT.
"""

import os
import socket
import struct
import subprocess
import threading
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, ConnectionClosedError
from websockets.sync.client import connect
from websockets.sync.server import serve

TOOL = Path(os.environ.get("ANVIL_BINARY_DIR", "build")) / "anvil-ws-echo-tool"
TIMEOUT = 30


def pattern(n):
    return bytes((i * 7 + 1) & 0xFF for i in range(n))


# Must match script() in ws_echo_tool.cpp: the messages the tool sends in --client mode, as the
# server reassembles them.
CLIENT_SCRIPT = [
    "hello",
    "",
    b"",
    "\u03ba\u1f79\u03c3\u03bc\u03b5 \u20ac\U0001d11e",  # κόσμε (with U+1F79) €𝄞
    pattern(125),
    pattern(126),
    pattern(65535),
    pattern(65536),
    pattern(1 << 20),
    "fragmented €",
    pattern(3) + pattern(70000),
]


class EchoTool:
    def __init__(self, *args):
        self.proc = subprocess.Popen([str(TOOL), "--exit-on-stdin-eof", *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), (line, self.proc.stderr.read())
        self.port = int(line.split()[1])
        self.uri = f"ws://127.0.0.1:{self.port}/ws"

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture(scope="module")
def tool():
    t = EchoTool()
    yield t
    t.stop()


@pytest.fixture(scope="module")
def small_tool():
    t = EchoTool("--max-message", "1000")
    yield t
    t.stop()


def client(t):
    return connect(t.uri, max_size=None, ping_interval=None, open_timeout=TIMEOUT,
                   close_timeout=TIMEOUT)


# ---- server role: valid traffic ---------------------------------------------------------------


@pytest.mark.parametrize("message", [
    "hello", b"\x00\x01\xfe\xff", "", b"", "x" * 125, b"y" * 126, "z" * 65535, b"w" * 65536,
    "κόσμε", "€𝄞 mixed ASCII and 𝄞", "\U0010FFFF\uFFFF\u07FF\u0080\x7F",
])
def test_echo(tool, message):
    with client(tool) as ws:
        ws.send(message)
        assert ws.recv(timeout=TIMEOUT) == message


@pytest.mark.parametrize("size", [1 << 20, 20 << 20])
def test_large_binary_and_text(tool, size):
    data = os.urandom(size)
    text = "é" * (size // 2)
    with client(tool) as ws:
        ws.send(data)
        assert ws.recv(timeout=TIMEOUT) == data
        ws.send(text)
        assert ws.recv(timeout=TIMEOUT) == text


def test_fragmented_messages(tool):
    with client(tool) as ws:
        ws.send(iter(["frag", "men", "", "ted €"]))
        assert ws.recv(timeout=TIMEOUT) == "fragmented €"
        ws.send(iter([b"a", b"", b"bc", os.urandom(0), b"d" * 70000]))
        assert ws.recv(timeout=TIMEOUT) == b"abc" + b"d" * 70000


def test_ping_pong_and_many_messages_in_order(tool):
    with client(tool) as ws:
        pong = ws.ping(b"are you there")
        assert pong.wait(TIMEOUT)
        for i in range(200):
            ws.send(f"m{i}" if i % 2 else f"m{i}".encode())
        for i in range(200):
            assert ws.recv(timeout=TIMEOUT) == (f"m{i}" if i % 2 else f"m{i}".encode())


@pytest.mark.parametrize("code,reason", [(1000, "bye"), (1001, ""), (3001, "app"), (4999, "é")])
def test_close_code_is_echoed(tool, code, reason):
    with client(tool) as ws:
        ws.close(code, reason)
    assert ws.close_code == code
    assert ws.close_reason == reason


# ---- server role: raw frames under the client ------------------------------------------------


def raw_frame(opcode, payload=b"", fin=True, mask=True, rsv=0, form=None, length=None):
    length = len(payload) if length is None else length
    if form is None:
        form = 7 if length < 126 else 16 if length <= 0xFFFF else 64
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    mbit = 0x80 if mask else 0
    if form == 7:
        head += bytes([mbit | length])
    elif form == 16:
        head += bytes([mbit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([mbit | 127]) + struct.pack("!Q", length)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


@pytest.mark.parametrize("name,frames,code", [
    ("unmasked", [raw_frame(0x1, b"hi", mask=False)], 1002),
    ("unmasked_ping", [raw_frame(0x9, b"", mask=False)], 1002),
    ("opcode_3", [raw_frame(0x3, b"x")], 1002),
    ("opcode_b", [raw_frame(0xB, b"")], 1002),
    ("rsv1", [raw_frame(0x2, b"x", rsv=0x40)], 1002),
    ("ping_126", [raw_frame(0x9, b"p" * 126)], 1002),
    ("fragmented_ping", [raw_frame(0x9, b"p", fin=False)], 1002),
    ("continuation_first", [raw_frame(0x0, b"x")], 1002),
    ("text_inside_fragmented", [raw_frame(0x1, b"a", fin=False), raw_frame(0x1, b"b")], 1002),
    ("non_minimal_16", [raw_frame(0x2, b"abc", form=16)], 1002),
    ("non_minimal_64", [raw_frame(0x2, b"a" * 200, form=64)], 1002),
    ("length_msb", [raw_frame(0x2, b"", length=1 << 63)], 1002),
    ("bad_utf8", [raw_frame(0x1, b"ok\xff")], 1007),
    ("surrogate", [raw_frame(0x1, b"\xed\xa0\x80")], 1007),
    ("overlong", [raw_frame(0x1, b"\xc0\xaf")], 1007),
    ("truncated_utf8", [raw_frame(0x1, b"\xe2\x82")], 1007),
    ("bad_utf8_across_fragments", [raw_frame(0x1, b"\xf0\x9d", fin=False),
                                   raw_frame(0x0, b"\x28\x9e")], 1007),
    ("close_1_byte", [raw_frame(0x8, b"\x03")], 1002),
    ("close_1005", [raw_frame(0x8, close_payload(1005))], 1002),
    ("close_1006", [raw_frame(0x8, close_payload(1006))], 1002),
    ("close_2999", [raw_frame(0x8, close_payload(2999))], 1002),
    ("close_bad_reason", [raw_frame(0x8, close_payload(1000, b"\xc3\x28"))], 1007),
])
def test_invalid_frames_get_their_close_code(tool, name, frames, code):
    with client(tool) as ws:
        ws.send("before")
        assert ws.recv(timeout=TIMEOUT) == "before"
        for f in frames:
            ws.socket.sendall(f)
        with pytest.raises(ConnectionClosedError) as info:
            ws.recv(timeout=TIMEOUT)
        assert info.value.rcvd is not None, name
        assert info.value.rcvd.code == code, (name, info.value.rcvd)


def test_utf8_split_inside_characters_across_fragments(tool):
    text = "a€𝄞z".encode()
    with client(tool) as ws:
        ws.socket.sendall(raw_frame(0x1, text[:2], fin=False) + raw_frame(0x9, b"mid") +
                          raw_frame(0x0, text[2:6], fin=False) + raw_frame(0x0, text[6:]))
        assert ws.recv(timeout=TIMEOUT) == "a€𝄞z"


def test_message_too_big(small_tool):
    with client(small_tool) as ws:
        ws.send(b"x" * 1000)
        assert ws.recv(timeout=TIMEOUT) == b"x" * 1000
        ws.send(iter([b"x" * 600, b"y" * 401]))
        with pytest.raises(ConnectionClosedError) as info:
            ws.recv(timeout=TIMEOUT)
        assert info.value.rcvd.code == 1009


# ---- server role: handshake ------------------------------------------------------------------


def http_exchange(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as s:
        s.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.decode()


def upgrade_request(version="13", key="dGhlIHNhbXBsZSBub25jZQ==", method="GET"):
    lines = [f"{method} /ws HTTP/1.1", "Host: x", "Upgrade: websocket", "Connection: Upgrade"]
    if version is not None:
        lines.append(f"Sec-WebSocket-Version: {version}")
    if key is not None:
        lines.append(f"Sec-WebSocket-Key: {key}")
    return "\r\n".join(lines) + "\r\n\r\n"


def test_handshake_accept_value(tool):
    response = http_exchange(tool.port, upgrade_request())
    assert response.startswith("HTTP/1.1 101 Switching Protocols\r\n")
    assert "\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response


@pytest.mark.parametrize("kwargs,status", [
    ({"version": "8"}, "426"),
    ({"version": None}, "400"),
    ({"key": None}, "400"),
    ({"key": "c2hvcnQ="}, "400"),
    ({"method": "POST"}, "400"),
])
def test_handshake_rejections(tool, kwargs, status):
    response = http_exchange(tool.port, upgrade_request(**kwargs))
    assert response.split(" ")[1] == status, response
    assert ("Sec-WebSocket-Version: 13" in response) == (status == "426")


# ---- client role: the tool against a websockets server ---------------------------------------


def test_client_role_against_websockets_server():
    received = []

    def handler(ws):
        for message in ws:
            received.append(message)
            ws.send(message)

    with serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None) as server:
        port = server.socket.getsockname()[1]
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            proc = subprocess.run([str(TOOL), "--client", str(port)], capture_output=True,
                                  text=True, timeout=TIMEOUT, check=False)
        finally:
            server.shutdown()
            thread.join(TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"OK {len(CLIENT_SCRIPT)}"
    assert received == CLIENT_SCRIPT
