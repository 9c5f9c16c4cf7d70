"""Streaming transforms (transform_stream) end to end: real server processes on 127.0.0.1,
port 0, spoken to with http.client and raw sockets, stopped by PID."""
import hashlib
import http.client
import io
import os
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse

import pytest
from etl_stubs import StubHop, StubTarget
from test_etl_server import BIN, Server

PATTERN = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-\n"
# The 1 GiB member of the memory test; the ASan build is slower, so its run may scale it down.
BIG_MEMBER = int(os.environ.get("ANVIL_STREAM_BIG_BYTES", str(1 << 30)))


def pattern_bytes(n):
    return (PATTERN * (n // len(PATTERN) + 1))[:n]


def stop_cleanly(server):
    """Stops by SIGTERM and checks for a clean exit: code 0, no sanitizer report."""
    code = server.stop()
    err = server.proc.stderr.read().decode(errors="replace")
    assert code == 0 and "Sanitizer" not in err and "runtime error" not in err, (code, err[-4000:])


@pytest.fixture
def probe():
    s = Server("etl-stream-probe", "--standalone")
    yield s
    stop_cleanly(s)


@pytest.fixture
def tar():
    s = Server("etl-tar-stream", "--standalone")
    yield s
    stop_cleanly(s)


def chunked_body(pieces):
    for p in pieces:
        yield p


def raw_response(port, request, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(request)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    return data


def test_echo_content_length_is_chunked_and_byte_exact(probe):
    payload = os.urandom(300_000)
    c = probe.conn()
    c.request("PUT", "/bck/obj", body=payload)
    r = c.getresponse()
    assert r.status == 200
    assert r.getheader("Transfer-Encoding") == "chunked"
    assert r.getheader("Content-Length") is None
    assert r.getheader("Content-Type") == "application/octet-stream"
    assert r.read() == payload
    # Keep-alive: the same connection serves the next object.
    c.request("POST", "/bck/obj2", body=b"second")
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"second")
    c.close()


def test_echo_chunked_request_body(probe):
    pieces = [os.urandom(n) for n in (1, 4096, 70_000, 3, 0x10000)]
    c = probe.conn()
    c.request("PUT", "/obj", body=chunked_body(pieces), encode_chunked=True,
              headers={"Transfer-Encoding": "chunked"})
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"".join(pieces))
    c.close()


def test_expect_100_continue_then_body(probe):
    head = (b"PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
            b"Connection: close\r\n\r\n")
    s = socket.create_connection(("127.0.0.1", probe.port), timeout=10)
    s.sendall(head)
    assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(b"hello")
    data = b""
    while (b := s.recv(65536)):
        data += b
    s.close()
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Connection: close\r\n" in data
    assert data.endswith(b"5\r\nhello\r\n0\r\n\r\n")


def test_http10_client_gets_a_body_delimited_by_close(probe):
    data = raw_response(probe.port, b"PUT /o HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhello")
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    assert b"Transfer-Encoding" not in head and b"Connection: close" in head
    assert body == b"hello"


@pytest.mark.parametrize("args, env", [(["--max-streams", "0"], {}), (["--max-streams", "x"], {}),
                                       ([], {"ANVIL_MAX_STREAMS": "-3"})])
def test_bad_stream_limit_is_refused_at_start(args, env):
    full_env = dict(os.environ, **env)
    proc = subprocess.run([os.path.join(BIN, "etl-stream-probe"), "--standalone", "--port", "0", *args],
                          capture_output=True, env=full_env, timeout=20)
    assert proc.returncode == 2
    assert b"max-streams" in proc.stderr.lower() or b"max_streams" in proc.stderr.lower(), proc.stderr


def test_head_and_standalone_get(probe):
    status, headers, body = probe.request("GET", "/a%2Fb?etl_args=path")
    assert (status, body) == (200, b"a/b")
    status, headers, body = probe.request("GET", "/obj")
    assert (status, body) == (200, b"")
    c = probe.conn()
    c.request("HEAD", "/obj?etl_args=path")
    r = c.getresponse()
    assert r.status == 200 and r.read() == b""
    # HEAD carries no body: the connection stays usable.
    c.request("PUT", "/x", body=b"after head")
    assert c.getresponse().read() == b"after head"
    c.close()


def test_transform_that_throws_before_output_answers_500(probe):
    status, headers, body = probe.request("PUT", "/o?etl_args=fail-before", body=b"x" * 1000)
    assert status == 500
    assert b"asked to fail before output" in body
    # The server still serves.
    assert probe.request("PUT", "/o", body=b"ok")[2] == b"ok"


def test_transform_that_throws_after_output_truncates_the_body(probe):
    c = probe.conn()
    c.request("PUT", "/o?etl_args=fail-after:20000", body=os.urandom(100_000))
    r = c.getresponse()
    assert r.status == 200
    with pytest.raises(http.client.IncompleteRead) as caught:
        r.read()
    assert len(caught.value.partial) == 20000
    c.close()
    assert probe.request("PUT", "/o", body=b"still up")[2] == b"still up"


def test_transform_that_ignores_its_input_keeps_the_connection_clean(probe):
    c = probe.conn()
    c.request("PUT", "/o?etl_args=skip-input", body=os.urandom(200_000))
    r = c.getresponse()
    assert (r.status, r.read()) == (200, b"ok")
    c.request("PUT", "/o", body=b"next")
    assert c.getresponse().read() == b"next"
    c.close()


@pytest.mark.parametrize("request_bytes, status", [
    # A chunk-size line that is not hex: the body breaks mid-stream.
    (b"PUT /o HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 500),
    # Conflicting framing is refused at the head, before any stream starts.
    (b"PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    (b"DELETE /o HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
])
def test_bad_requests_get_a_clear_status(probe, request_bytes, status):
    data = raw_response(probe.port, request_bytes)
    assert data.startswith(b"HTTP/1.1 %d " % status), data[:200]
    if status == 500:
        assert b"bad request body" in data
    assert probe.request("PUT", "/o", body=b"alive")[2] == b"alive"


def test_body_shorter_than_content_length_then_close(probe):
    s = socket.create_connection(("127.0.0.1", probe.port), timeout=10)
    s.sendall(b"PUT /o HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 10)
    s.shutdown(socket.SHUT_WR)
    data = b""
    while (b := s.recv(65536)):
        data += b
    s.close()
    # The echo wrote the 10 bytes before the input broke: the body is cut off, no last chunk.
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert not data.endswith(b"0\r\n\r\n")
    assert probe.request("PUT", "/o", body=b"alive")[2] == b"alive"


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_client_disconnect_mid_stream_releases_everything(probe):
    before = fd_count(probe.proc.pid)
    for _ in range(5):
        s = socket.create_connection(("127.0.0.1", probe.port), timeout=10)
        # A slow echo of a large body: the client leaves while the server is writing.
        s.sendall(b"PUT /o?etl_args=sleep:5 HTTP/1.1\r\nHost: x\r\nContent-Length: 4000000\r\n\r\n")
        s.sendall(os.urandom(200_000))
        s.recv(1000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    # Meanwhile other requests are served.
    assert probe.request("PUT", "/o", body=b"served")[2] == b"served"
    deadline = time.monotonic() + 20
    while fd_count(probe.proc.pid) > before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert fd_count(probe.proc.pid) <= before


def test_more_streams_than_threads_wait_their_turn():
    s = Server("etl-stream-probe", "--standalone", "--max-streams", "2")
    try:
        results = [None] * 6

        def one(i):
            results[i] = s.request("PUT", f"/o{i}?etl_args=sleep:20", body=b"x" * 40_000)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert all(r is not None and r[0] == 200 and r[2] == b"x" * 40_000 for r in results)
        # One stream thread per slot, not per request.
        threads_now = len(os.listdir(f"/proc/{s.proc.pid}/task"))
        assert threads_now <= 1 + 1 + 2 + 2 + 1
    finally:
        stop_cleanly(s)


def test_sigterm_lets_the_stream_in_flight_finish(probe):
    payload = os.urandom(64 * 1024)
    c = probe.conn()
    c.request("PUT", "/o?etl_args=sleep:100", body=payload)
    r = c.getresponse()  # the first chunk is out: the stream is in flight
    time.sleep(0.1)
    os.killpg(probe.proc.pid, 15)
    assert r.read() == payload
    assert probe.proc.wait(20) == 0


def test_fqn_source_is_read_in_pieces(tmp_path):
    data = os.urandom(200_000)
    path = tmp_path / "obj.bin"
    path.write_bytes(data)
    for direct in ("false", "true"):
        s = Server("etl-stream-probe", "--standalone",
                   env={"ANVIL_FQN_ROOTS": str(tmp_path), "ETL_DIRECT_FQN": direct})
        try:
            q = urllib.parse.urlencode({"etl_fqn": str(path)})
            status, _, body = s.request("PUT", "/o?" + q, body=b"")
            assert (status, body) == (200, data)  # the content, in both ETL_DIRECT_FQN modes
            q = urllib.parse.urlencode({"etl_fqn": str(tmp_path / "missing")})
            assert s.request("GET", "/o?" + q)[0] == 404
            q = urllib.parse.urlencode({"etl_fqn": "/etc/passwd"})
            assert s.request("GET", "/o?" + q)[0] == 403
        finally:
            stop_cleanly(s)


def test_hpull_from_target_and_its_errors():
    target = StubTarget()
    hop = StubHop(status=200, body=b"")
    s = Server("etl-stream-probe", env={"AIS_TARGET_URL": target.base, "ANVIL_DIRECT_PUT_BACKOFF": "1ms"})
    try:
        # hpull with a direct put: target -> transform -> hop, streamed end to end.
        status, headers, _ = s.request("GET", "/bck/obj", headers={"Ais-Node-Url": hop.url})
        assert status == 204 and hop.last()["body"] == b"from-target:/bck%2Fobj"
        assert headers["ais-direct-put-length"] == str(len(b"from-target:/bck%2Fobj"))
        c = s.conn()
        c.request("GET", "/bck/obj")
        r = c.getresponse()
        assert r.getheader("Transfer-Encoding") == "chunked" and r.read() == b"from-target:/bck%2Fobj"
        c.close()
        assert s.request("GET", "/bck/a%2Fb")[:3:2] == (200, b"from-target:/bck%2Fa%2Fb")  # re-escaped as in §2.1
        status, _, body = s.request("GET", "/bck/missing")
        assert (status, body) == (404, b"no such object")
        assert s.request("GET", "/bck/boom")[0] == 500
    finally:
        stop_cleanly(s)
        target.close()
        hop.close()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    s = Server("etl-stream-probe", env={"AIS_TARGET_URL": f"http://127.0.0.1:{port}"})
    try:
        assert s.request("GET", "/bck/x")[0] == 502
    finally:
        stop_cleanly(s)


def test_direct_put_outcomes(tmp_path):
    payload = os.urandom(50_000)
    env = {"ANVIL_DIRECT_PUT_BACKOFF": "1ms", "ANVIL_FQN_ROOTS": str(tmp_path)}
    s = Server("etl-stream-probe", "--standalone", env=env)
    try:
        hop = StubHop(status=200, body=b"")
        status, headers, body = s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": hop.url + "/v1/objects/dst/o"})
        assert status == 204 and headers["ais-direct-put-length"] == str(len(payload))
        assert hop.last()["body"] == payload
        # Streamed on: chunked, no length known in advance (contract §7).
        assert hop.last()["transfer_encoding"] == "chunked" and hop.last()["content_length"] is None
        assert hop.last()["path"] == "/v1/objects/dst/o"
        hop.close()
        # A stage that answers with content: its content comes back.
        hop = StubHop(status=200, body=b"stage output")
        assert s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": hop.url})[:3:2] == (200, b"stage output")
        hop.close()
        hop = StubHop(status=204, headers={"Ais-Direct-Put-Length": "123"})
        status, headers, _ = s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": hop.url})
        assert status == 204 and headers["ais-direct-put-length"] == "123"
        hop.close()
        hop = StubHop(status=500, body=b"hop failed")
        assert s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": hop.url})[:3:2] == (500, b"hop failed")
        hop.close()
        # A transient failure with a one-shot request body: no retry, 503 and the reason.
        hop = StubHop(status=200, body=b"", reset_first=5)
        status, headers, body = s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": hop.url})
        assert status == 503
        assert headers["ais-etl-retry-reason"] == "direct-put-transient"
        assert b"Direct put bailed (one-shot body)" in body
        assert hop.reset_first == 4 and hop.puts == []
        hop.close()
        # An FQN source can be read again: retried, then delivered.
        (tmp_path / "f").write_bytes(payload)
        hop = StubHop(status=200, body=b"", reset_first=2)
        q = urllib.parse.urlencode({"etl_fqn": str(tmp_path / "f")})
        status, headers, _ = s.request("PUT", "/bck/o?" + q, body=b"", headers={"Ais-Node-Url": hop.url})
        assert status == 204 and hop.last()["body"] == payload
        assert hop.reset_first == 0
        hop.close()
        # Retries exhausted on a replayable source: 502, no retry reason.
        hop = StubHop(status=200, body=b"", reset_first=100)
        status, headers, body = s.request("PUT", "/bck/o?" + q, body=b"", headers={"Ais-Node-Url": hop.url})
        assert status == 502 and b"Direct put failed after retries" in body
        assert "ais-etl-retry-reason" not in headers
        assert hop.reset_first == 100 - 4  # the first try and AIS_DIRECT_PUT_RETRIES=3
        hop.close()
        # A transform that fails while putting: 500 with its message.
        hop = StubHop(status=200, body=b"")
        status, _, body = s.request("PUT", "/bck/o?etl_args=fail-after:10", body=payload,
                                    headers={"Ais-Node-Url": hop.url})
        assert status == 500 and b"asked to fail after output" in body
        assert hop.puts == []
        hop.close()
        # A bad pipeline header.
        assert s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": "a,,b"})[0] == 400
        # A refused hop: 502 at once.
        status, _, body = s.request("PUT", "/bck/o", body=payload, headers={"Ais-Node-Url": "http://127.0.0.1:1"})
        assert status == 502 and b"ConnectionError" in body
    finally:
        stop_cleanly(s)


def test_pipeline_streaming_stage_to_buffered_stage():
    final = StubHop(status=200, body=b"")
    buffered = Server("etl-echo", "--standalone")
    streaming = Server("etl-stream-probe", "--standalone")
    try:
        payload = os.urandom(100_000)
        status, headers, _ = streaming.request(
            "PUT", "/bck/o", body=payload,
            headers={"Ais-Node-Url": f"http://127.0.0.1:{buffered.port}, {final.url}/v1/objects/dst/o"})
        assert status == 204 and headers["ais-direct-put-length"] == str(len(payload))
        assert final.last()["body"] == payload
    finally:
        stop_cleanly(streaming)
        stop_cleanly(buffered)
        final.close()


def test_websocket_is_not_needed_for_buffered_clients_of_a_stream_server(probe):
    # The health route stays on the event loop.
    assert probe.request("GET", "/health")[:3:2] == (200, b"Running")


def read_tar(data):
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as t:
        return {m.name: t.extractfile(m).read() for m in t.getmembers()}


def test_tar_example_builds_a_valid_archive(tar):
    manifest = b"a.txt 0\nb.bin 1\ndir/c 512\r\nd 70000\n\n e 513"
    status, headers, body = tar.request("PUT", "/m", body=manifest)
    assert status == 200 and headers["content-type"] == "application/x-tar"
    members = read_tar(body)
    assert members == {"a.txt": b"", "b.bin": pattern_bytes(1), "dir/c": pattern_bytes(512),
                       "d": pattern_bytes(70000), " e": pattern_bytes(513)}
    # Chunked manifest, split mid-line.
    c = tar.conn()
    c.request("PUT", "/m", body=chunked_body([b"x 10", b"0\ny 3", b"\n"]), encode_chunked=True,
              headers={"Transfer-Encoding": "chunked"})
    r = c.getresponse()
    assert read_tar(r.read()) == {"x": pattern_bytes(100), "y": pattern_bytes(3)}
    c.close()


@pytest.mark.parametrize("manifest", [b"name-only\n", b"a -1\n", b"a 12x\n", b"x" * 5000 + b" 1\n",
                                      b"n" * 101 + b" 1\n"])
def test_tar_example_refuses_a_bad_manifest(tar, manifest):
    status, _, body = tar.request("PUT", "/m", body=manifest)
    assert status == 500 and b"Processing error" in body


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_tar_of_a_huge_member_streams_in_constant_memory(tar):
    # Warm up once so idle RSS includes the threads and buffers a stream uses.
    tar.request("PUT", "/m", body=b"w 100000\n")
    idle = rss_kib(tar.proc.pid)
    peak = idle
    c = http.client.HTTPConnection("127.0.0.1", tar.port, timeout=60)
    c.request("PUT", "/m", body=b"big %d\n" % BIG_MEMBER)
    r = c.getresponse()
    assert r.status == 200
    received = 0
    digest = hashlib.md5()
    head = r.read(512)
    received += len(head)
    started = time.monotonic()
    while True:
        piece = r.read(1 << 20)
        if not piece:
            break
        if received < 512 + 4096:
            digest.update(piece[:4096])
        received += len(piece)
        peak = max(peak, rss_kib(tar.proc.pid))
    elapsed = time.monotonic() - started
    c.close()
    assert head[:3] == b"big" and head[257:262] == b"ustar"
    assert received == 512 + (BIG_MEMBER + 511) // 512 * 512 + 1024
    assert digest.digest() == hashlib.md5(pattern_bytes(4096)).digest()
    print(f"\nSTREAM RSS idle {idle} KiB peak {peak} KiB; {BIG_MEMBER / (1 << 20) / elapsed:.0f} MiB/s")
    assert peak <= 2 * idle
