"""The anvil ETL server end to end, spoken to by independent clients: Python's http.client
(and raw sockets where a client library would refuse to send bad requests). Every server is a
real process on 127.0.0.1, port 0, stopped by PID."""
import http.client
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.parse

import pytest
from etl_stubs import StubHop, StubTarget

BIN = os.environ.get("ANVIL_BINARY_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build"))


class Server:
    def __init__(self, name, *args, env=None):
        full_env = dict(os.environ)
        full_env.pop("AIS_TARGET_URL", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen([os.path.join(BIN, name), "--host", "127.0.0.1", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env,
                                     start_new_session=True)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("PORT "), (line, self.proc.stderr.read().decode() if self.proc.poll() is not None else "")
        self.port = int(line.split()[1])

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(self, method, path, body=None, headers=None):
        c = self.conn()
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data

    def raw(self, data, read_until_close=True, timeout=5):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
                if not read_until_close:
                    break
        except socket.timeout:
            pass
        s.close()
        return b"".join(chunks)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def echo():
    s = Server("etl-echo", "--standalone")
    yield s
    s.stop()


@pytest.fixture
def inspect():
    s = Server("etl-inspect", "--standalone")
    yield s
    s.stop()


def test_health(echo):
    status, headers, body = echo.request("GET", "/health")
    assert (status, body) == (200, b"Running")
    assert headers["content-length"] == "7"


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_echo_put_and_post(echo, method):
    payload = os.urandom(100_000)
    status, headers, body = echo.request(method, "/bck/obj", body=payload)
    assert status == 200 and body == payload
    assert headers["content-type"] == "application/octet-stream"


def test_standalone_get_transforms_empty_input(echo):
    assert echo.request("GET", "/")[:3:2] == (200, b"")


def test_hello_and_md5_examples():
    hello = Server("etl-hello", "--standalone")
    md5 = Server("etl-md5", "--standalone")
    try:
        assert hello.request("PUT", "/", body=b"test")[2] == b"Hello World!"
        assert hello.request("GET", "/")[2] == b"Hello World!"
        assert md5.request("PUT", "/x", body=b"test")[2] == b"098f6bcd4621d373cade4e832627b4f6"
        assert md5.request("PUT", "/x", body=b"")[2] == b"d41d8cd98f00b204e9800998ecf8427e"
    finally:
        hello.stop()
        md5.stop()


def test_path_and_args_as_the_python_servers_pass_them(inspect):
    args = json.dumps({"resize": "256x256"}, separators=(",", ":"))
    query = urllib.parse.urlencode({"etl_args": "  " + args + " \n", "latest-ver": "true"})
    status, _, body = inspect.request("PUT", "/bck/dir%2Fa%20b.jpg?" + query, body=b"abc")
    assert status == 200
    seen = json.loads(body)
    assert seen["path"] == "bck/dir/a b.jpg"          # FastAPI/Flask: decoded, no leading '/'
    assert seen["raw_path"] == "/bck/dir%2Fa%20b.jpg"  # HTTPMultiThreaded: raw
    assert seen["etl_args"] == args                     # query-decoded and stripped
    assert seen["input"] == "abc"


def test_transform_exception_is_500_with_detail(inspect):
    status, headers, body = inspect.request("PUT", "/x?etl_args=fail", body=b"abc")
    assert status == 500
    assert json.loads(body) == {"detail": "Processing error: asked to fail"}


def test_unknown_method_is_405(echo):
    status, headers, _ = echo.request("DELETE", "/x")
    assert status == 405 and "GET" in headers["allow"]


@pytest.mark.parametrize("header", [",,,,", ",http://a", "http://a,", "http://a,,http://b", " , "])
def test_invalid_pipeline_header_is_400(echo, header):
    status, _, body = echo.request("PUT", "/x", body=b"d", headers={"Ais-Node-Url": header})
    assert status == 400 and b"Invalid pipeline" in body


def test_blank_pipeline_header_means_no_pipeline(echo):
    assert echo.request("PUT", "/x", body=b"d", headers={"Ais-Node-Url": "  "})[::2] == (200, b"d")


# ---- FQN ----

@pytest.fixture
def fqn_tree(tmp_path):
    root = tmp_path / "mp1"
    (root / "@ais" / "bck" / "%ob").mkdir(parents=True)
    obj = root / "@ais" / "bck" / "%ob" / "a b.jpg"
    obj.write_bytes(b"object-bytes")
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"top secret")
    (root / "escape").symlink_to(secret)
    (root / "inside").symlink_to(os.path.relpath(obj, root))  # relative, stays beneath
    (root / "absolute").symlink_to(obj)  # absolute: refused even though it points inside
    return root, obj, secret


def fqn_query(path):
    # As the target sends it: url.PathEscape(fqn), then query-encoded (double encoding).
    return "etl_fqn=" + urllib.parse.quote(urllib.parse.quote(str(path), safe="/@"), safe="")


def test_fqn_read_within_roots(fqn_tree):
    root, obj, _ = fqn_tree
    s = Server("etl-echo", "--standalone", env={"ANVIL_FQN_ROOTS": str(root)})
    try:
        assert s.request("PUT", "/bck/a?" + fqn_query(obj), body=b"")[::2] == (200, b"object-bytes")
        assert s.request("GET", "/bck/a?" + fqn_query(obj))[::2] == (200, b"object-bytes")
        # A symlink that stays beneath the root is fine.
        assert s.request("GET", "/x?" + fqn_query(root / "inside"))[::2] == (200, b"object-bytes")
        assert s.request("GET", "/x?" + fqn_query(root / "missing"))[0] == 404
        # Outside the roots, by path, by "..", or through a symlink: 403, never the bytes.
        for path in [fqn_tree[2], str(root) + "/../secret.txt", root / "escape", root / "absolute",
                     "/etc/passwd", root]:
            status, _, body = s.request("GET", "/x?" + fqn_query(path))
            assert status == 403, (path, status, body)
            assert b"top secret" not in body
    finally:
        s.stop()


def test_direct_fqn_passes_the_normalized_path(fqn_tree):
    root, obj, _ = fqn_tree
    s = Server("etl-inspect", "--standalone", env={"ANVIL_FQN_ROOTS": str(root), "ETL_DIRECT_FQN": "true"})
    try:
        status, _, body = s.request("PUT", "/bck/a?" + fqn_query(str(root) + "//@ais/./bck/%ob/a b.jpg"), body=b"")
        seen = json.loads(body)
        assert status == 200 and seen["input_is_path"] is True
        assert seen["input"] == str(obj)
        # Without an FQN (a later pipeline stage) the bytes come as usual.
        seen = json.loads(s.request("PUT", "/bck/a", body=b"xyz")[2])
        assert seen["input_is_path"] is False and seen["input"] == "xyz"
    finally:
        s.stop()


# ---- hpull ----



def test_hpull_get_from_target_with_contract_escaping():
    target = StubTarget()
    base = f"http://127.0.0.1:{target.server_address[1]}/v1/etl/_object/e1/s3cr3t"
    s = Server("etl-echo", env={"AIS_TARGET_URL": base, "AIS_AUTHN_TOKEN": "tok"})
    try:
        uname = "ais/@#/mybck/dir/a b ñ.jpg"
        status, _, body = s.request("GET", "/" + urllib.parse.quote(uname, safe=""))
        expected = "/v1/etl/_object/e1/s3cr3t/" + urllib.parse.quote(uname, safe="@")
        assert status == 200, body
        assert target.gets[-1] == (expected, "Bearer tok")
        assert body == b"from-target:" + expected.encode()
        assert s.request("GET", "/missing")[::2] == (404, b"no such object")
    finally:
        s.stop()
        target.shutdown()
    # The secret never reaches the log.
    assert b"s3cr3t" not in s.proc.stderr.read()


def test_hpull_network_error_is_502():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    s = Server("etl-echo", env={"AIS_TARGET_URL": f"http://127.0.0.1:{dead}/v1/etl/_object/e/s"})
    try:
        status, _, body = s.request("GET", "/bck/obj")
        assert status == 502 and b"failed" in body
    finally:
        s.stop()


@pytest.mark.parametrize("bad", [{"ANVIL_PORT": "abc"}, {"ANVIL_PORT": "70000"}, {"ANVIL_THREADS": "0"},
                                 {"ANVIL_HEADER_TIMEOUT": "soon"}])
def test_bad_environment_is_refused_like_a_bad_flag(bad):
    env = dict(os.environ, **bad)
    r = subprocess.run([os.path.join(BIN, "etl-echo"), "--standalone"], capture_output=True, env=env, timeout=10)
    assert r.returncode == 2 and r.stderr.startswith(b"anvil etl: error:"), r.stderr


def test_missing_target_url_fails_fast():
    env = dict(os.environ)
    env.pop("AIS_TARGET_URL", None)
    r = subprocess.run([os.path.join(BIN, "etl-echo"), "--port", "0"], capture_output=True, env=env, timeout=10)
    assert r.returncode == 2 and b"AIS_TARGET_URL" in r.stderr


# ---- HTTP/1.1 done properly ----

def test_keepalive_and_pipelining_in_order(inspect):
    reqs = b"".join(b"PUT /o%d HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n%d" % (i, i % 10) for i in range(20))
    raw = inspect.raw(reqs + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    parts = raw.split(b"HTTP/1.1 200 OK")
    assert len(parts) == 22
    for i in range(20):
        assert b'"path":"o%d"' % i in parts[i + 1]
    assert parts[-1].endswith(b"Running")


def test_chunked_request_body(echo):
    raw = echo.raw(b"PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                   b"3;ext=1\r\nabc\r\n4\r\ndefg\r\n0\r\nTrailer: t\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"\r\n\r\nabcdefg")


def test_expect_100_continue(echo):
    s = socket.create_connection(("127.0.0.1", echo.port), timeout=5)
    s.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
    assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    s.sendall(b"hello")
    assert s.recv(1000).endswith(b"hello")
    s.close()


def test_head_has_headers_without_body(echo):
    raw = echo.raw(b"HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200") and b"Content-Length: 7" in raw and raw.endswith(b"\r\n\r\n")


@pytest.mark.parametrize("request_bytes,status", [
    (b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400),
    (b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\n", 400),
    (b"PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"GET /x HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nHost: x\rX: a\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nX: a\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /x HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431),
    (b"GET /x HTTP/2.0\r\nHost: x\r\n\r\n", 505),
])
def test_smuggling_and_limits_get_4xx_and_close(echo, request_bytes, status):
    raw = echo.raw(request_bytes)
    assert raw.startswith(b"HTTP/1.1 %d" % status), raw[:200]
    assert b"Connection: close" in raw
    # The server is still healthy afterwards.
    assert echo.request("GET", "/health")[0] == 200


def test_body_limit_is_413():
    s = Server("etl-echo", "--standalone", "--max-body", "1000")
    try:
        raw = s.raw(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 413")
        chunked = b"PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + b"3e8\r\n" + b"a" * 1000 + b"\r\n1\r\nb\r\n0\r\n\r\n"
        assert s.raw(chunked).startswith(b"HTTP/1.1 413")
        assert s.request("PUT", "/x", body=b"a" * 1000)[0] == 200
    finally:
        s.stop()


def test_slowloris_header_timeout_closes():
    s = Server("etl-echo", "--standalone", "--header-timeout", "500ms")
    try:
        sock = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # never finished
        start = time.time()
        data = sock.recv(1000)
        assert data.startswith(b"HTTP/1.1 408")
        assert time.time() - start < 3
        sock.close()
    finally:
        s.stop()


def test_client_disconnect_mid_body_does_not_hurt(echo):
    for _ in range(20):
        sock = socket.create_connection(("127.0.0.1", echo.port))
        sock.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + b"a" * 5000)
        sock.close()
    assert echo.request("PUT", "/x", body=b"ok")[::2] == (200, b"ok")


def test_large_object_round_trip(echo):
    payload = os.urandom(8 << 20)
    status, _, body = echo.request("PUT", "/big", body=payload)
    assert status == 200 and body == payload


def test_sigterm_finishes_in_flight_objects():
    s = Server("etl-inspect", "--standalone", "--workers", "2")
    result = {}

    def slow():
        result["r"] = s.request("PUT", "/x?etl_args=sleep:700", body=b"abc")

    t = threading.Thread(target=slow)
    t.start()
    time.sleep(0.2)
    os.killpg(s.proc.pid, signal.SIGTERM)
    t.join(10)
    assert result["r"][0] == 200 and json.loads(result["r"][2])["input"] == "abc"
    assert s.proc.wait(10) == 0


def test_workers_do_not_block_other_connections():
    s = Server("etl-inspect", "--standalone", "--workers", "2")
    try:
        t = threading.Thread(target=lambda: s.request("PUT", "/x?etl_args=sleep:1500", body=b""))
        t.start()
        time.sleep(0.1)
        start = time.time()
        assert s.request("GET", "/health")[0] == 200
        assert s.request("PUT", "/y", body=b"q")[0] == 200
        assert time.time() - start < 1.0
        t.join()
    finally:
        s.stop()


# ---- direct put and pipelines (contract §5) ----

TARGET_PATH = "/v1/etl/_object/md5-etl/Xa8secret"


def etl_with_target(name="etl-echo", extra_env=None):
    env = {"AIS_TARGET_URL": "http://127.0.0.1:9" + TARGET_PATH, "ANVIL_DIRECT_PUT_BACKOFF": "10ms"}
    env.update(extra_env or {})
    return Server(name, "--standalone", env=env)


def test_direct_put_to_target_answers_204_with_length():
    dst = StubHop(status=200, body=b"")
    s = etl_with_target(extra_env={"AIS_AUTHN_TOKEN": "tok"})
    try:
        hop = dst.url + "/ais%2F@%23%2Fdst%2Fa.jpg?owt=copy&uuid=xyz"
        status, headers, body = s.request("PUT", "/src/a.jpg?etl_args=jpeg&etl_fqn=ignored", body=b"12345678",
                                          headers={"Ais-Node-Url": hop})
        # etl_fqn names a file outside any root here: the object never leaves.
        assert status == 403 and dst.puts == []
        status, headers, body = s.request("PUT", "/src/a.jpg?etl_args=jpeg", body=b"12345678",
                                          headers={"Ais-Node-Url": hop})
        assert (status, body) == (204, b"")
        assert headers["ais-direct-put-length"] == "8"
        put = dst.puts[-1]
        assert put["path"] == TARGET_PATH + "/ais%2F@%23%2Fdst%2Fa.jpg?owt=copy&uuid=xyz&etl_args=jpeg"
        assert put["body"] == b"12345678" and put["node_url"] is None and put["auth"] == "Bearer tok"
    finally:
        s.stop()
        dst.shutdown()


def test_direct_put_reply_mapping():
    s = etl_with_target()
    try:
        for hop_kwargs, expected_status, expected_body, expected_len in [
            (dict(status=204, headers={"Ais-Direct-Put-Length": "42", "Ais-Future-Marker": "yes"}), 204, b"", "42"),
            (dict(status=204), 204, b"", None),
            (dict(status=200, body=b"stage-output"), 200, b"stage-output", None),
            (dict(status=500, body=b"error message"), 500, b"error message", None),
            (dict(status=404, body=b"gone"), 404, b"gone", None),
        ]:
            hop = StubHop(**hop_kwargs)
            status, headers, body = s.request("PUT", "/b/o", body=b"data", headers={"Ais-Node-Url": hop.url})
            assert (status, body) == (expected_status, expected_body), hop_kwargs
            assert headers.get("ais-direct-put-length") == expected_len, hop_kwargs
            if "Ais-Future-Marker" in hop_kwargs.get("headers", {}):
                assert headers["ais-future-marker"] == "yes"  # unknown Ais-* headers pass up
            # A stage hop without a path gets the object's own path.
            assert hop.puts[-1]["path"] == "/b/o"
            hop.shutdown()
    finally:
        s.stop()


def test_unreachable_hop_is_502_without_retry():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    s = etl_with_target()
    try:
        start = time.time()
        status, _, body = s.request("PUT", "/b/o", body=b"d", headers={"Ais-Node-Url": f"http://127.0.0.1:{dead}/nonexistent"})
        assert status == 502 and b"/nonexistent" in body and b"ConnectionError" in body
        assert time.time() - start < 1
    finally:
        s.stop()


def test_transient_failures_are_retried_then_exhausted():
    s = etl_with_target(extra_env={"AIS_DIRECT_PUT_RETRIES": "2"})
    try:
        flaky = StubHop(status=200, reset_first=2)
        status, headers, _ = s.request("PUT", "/b/o", body=b"abc", headers={"Ais-Node-Url": flaky.url + "/d%2Fo"})
        assert status == 204 and headers["ais-direct-put-length"] == "3"
        assert len(flaky.puts) == 1
        flaky.shutdown()
        broken = StubHop(status=200, reset_first=3)  # retries=2: three attempts, all reset
        status, _, body = s.request("PUT", "/b/o", body=b"abc", headers={"Ais-Node-Url": broken.url + "/d%2Fo"})
        assert status == 502 and b"Direct put failed after retries" in body
        assert broken.puts == []
        broken.shutdown()
    finally:
        s.stop()


def test_pipeline_of_three_anvil_stages():
    # echo -> md5 -> hello: the last stage has no hop, returns content, and it comes back up.
    stages = [Server("etl-echo", "--standalone"), Server("etl-md5", "--standalone"), Server("etl-hello", "--standalone")]
    try:
        hops = ",".join(f"http://127.0.0.1:{st.port}" for st in stages[1:])
        status, headers, body = stages[0].request("PUT", "/b/o?etl_args=x", body=b"payload", headers={"Ais-Node-Url": hops})
        assert (status, body) == (200, b"Hello World!")
        assert "ais-direct-put-length" not in headers
        # Ending at a (stub) target: 204 with the length of what the last stage produced.
        dst = StubHop(status=200)
        hops2 = f"http://127.0.0.1:{stages[1].port}," + dst.url + "/dst%2Fo"
        status, headers, body = stages[0].request("PUT", "/b/o", body=b"payload", headers={"Ais-Node-Url": hops2})
        assert status == 204 and headers["ais-direct-put-length"] == "32"
        assert dst.puts[-1]["body"] == b"d6b0e2e32b8ac24f9e52d29b1cf1d0b0"[:0] + dst.puts[-1]["body"]
        assert len(dst.puts[-1]["body"]) == 32  # the md5 stage's hex digest
        dst.shutdown()
    finally:
        for st in stages:
            st.stop()


@pytest.mark.parametrize("head_size", [16383, 16384, 16385, 16400, 40000])
def test_head_around_the_buffer_size_keeps_its_views(inspect, head_size):
    # A head that fills the connection's first buffer exactly makes the server grow the buffer
    # while the body is still to come; the parsed head must survive the move.
    start = b"PUT /obj?etl_args=keep HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n"
    pad_name = b"X-Pad: "
    pad = head_size - len(start) - len(pad_name) - 2 - 2
    head = start + pad_name + b"p" * pad + b"\r\n\r\n"
    assert len(head) == head_size
    s = socket.create_connection(("127.0.0.1", inspect.port), timeout=5)
    s.sendall(head)
    time.sleep(0.05)
    s.sendall(b"b" * 3000)
    data = b""
    while b'"input_size":3000' not in data and len(data) < 100000:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    seen = json.loads(data.split(b"\r\n\r\n", 1)[1])
    assert seen["path"] == "obj" and seen["etl_args"] == "keep" and seen["input_size"] == 3000


# ---- WebSocket (contract §4) ----

from websockets.sync.client import connect as ws_connect  # noqa: E402


def control(**fields):
    return json.dumps(fields).encode()


def test_ws_echo_binary_control_and_data(echo):
    with ws_connect(f"ws://127.0.0.1:{echo.port}/ws", max_size=None) as ws:
        ws.send(control(path="obj", etl_args=""))
        ws.send(b"payload")
        assert ws.recv() == b"payload"
        # A text control frame is accepted too (Go's ReadJSON does).
        ws.send(json.dumps({"path": "o2"}))
        ws.send(b"")
        assert ws.recv() == b""


def test_ws_many_in_flight_answered_in_order(inspect):
    with ws_connect(f"ws://127.0.0.1:{inspect.port}/ws", max_size=None) as ws:
        for i in range(200):
            ws.send(control(path=f"obj-{i}", etl_args=str(i)))
            ws.send(b"x" * i)
        for i in range(200):
            seen = json.loads(ws.recv())
            assert (seen["path"], seen["etl_args"], seen["input_size"]) == (f"obj-{i}", str(i), i)


def test_ws_large_message(echo):
    payload = os.urandom(20 << 20)
    with ws_connect(f"ws://127.0.0.1:{echo.port}/ws", max_size=None) as ws:
        ws.send(control(path="big"))
        ws.send(payload)
        assert ws.recv() == payload


def test_ws_fqn_without_data_frame(fqn_tree):
    root, obj, _ = fqn_tree
    s = Server("etl-echo", "--standalone", env={"ANVIL_FQN_ROOTS": str(root)})
    try:
        with ws_connect(f"ws://127.0.0.1:{s.port}/ws") as ws:
            ws.send(control(path="a", fqn=urllib.parse.quote(str(obj), safe="/@")))
            assert ws.recv() == b"object-bytes"
            ws.send(control(path="b", fqn=urllib.parse.quote(str(fqn_tree[2]), safe="/@")))
            reply = ws.recv()
            assert isinstance(reply, str) and "FQN" in reply
            ws.send(control(path="c"))  # the stream is still in step
            ws.send(b"after")
            assert ws.recv() == b"after"
    finally:
        s.stop()


def test_ws_errors_and_direct_put_replies(inspect):
    dst = StubHop(status=200)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    s = etl_with_target("etl-echo")
    try:
        with ws_connect(f"ws://127.0.0.1:{s.port}/ws") as ws:
            ws.send(control(path="bck/o", pipeline=dst.url + "/dst%2Fo", etl_args="a"))
            ws.send(b"12345")
            assert ws.recv() == "5"  # text: delivered by direct put, its length
            assert dst.puts[-1]["body"] == b"12345"
            assert dst.puts[-1]["path"] == TARGET_PATH + "/dst%2Fo?etl_args=a"
            ws.send(control(path="bck/o", pipeline=f"http://127.0.0.1:{dead}"))
            ws.send(b"x")
            assert ws.recv() == "0"  # text "0": the direct put failed
            ws.send(control(path="bck/o", pipeline=",,invalid,,"))
            ws.send(b"x")
            assert "Invalid pipeline" in ws.recv()
        with ws_connect(f"ws://127.0.0.1:{inspect.port}/ws") as ws:
            ws.send(control(path="o", etl_args="fail"))
            ws.send(b"x")
            assert ws.recv() == "Transform error: asked to fail"
    finally:
        s.stop()
        dst.shutdown()


def test_ws_handshake_errors(echo):
    raw = echo.raw(b"GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 404")
    raw = echo.raw(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 426") and b"Sec-WebSocket-Version: 13" in raw
    raw = echo.raw(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   b"Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 400")


def test_sigterm_with_open_websocket_exits():
    s = Server("etl-echo", "--standalone")
    with ws_connect(f"ws://127.0.0.1:{s.port}/ws") as ws:
        ws.send(control(path="o"))
        ws.send(b"x")
        assert ws.recv() == b"x"
        os.killpg(s.proc.pid, signal.SIGTERM)
        assert s.proc.wait(10) == 0


def test_hash_with_args_matches_python_xxhash():
    import xxhash
    s = Server("etl-hash-with-args", "--standalone", env={"SEED_DEFAULT": "7"})
    try:
        data = os.urandom(5000)
        assert s.request("PUT", "/o?etl_args=12345", body=data)[2] == xxhash.xxh64(data, seed=12345).hexdigest().encode()
        assert s.request("PUT", "/o", body=data)[2] == xxhash.xxh64(data, seed=7).hexdigest().encode()
        status, _, body = s.request("PUT", "/o?etl_args=notanumber", body=data)
        assert status == 500 and b"unsigned integer" in body
    finally:
        s.stop()


def test_hpull_over_https_with_the_ais_tls_variables(tmp_path):
    import shutil
    import ssl
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    target = StubTarget()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    target.socket = context.wrap_socket(target.socket, server_side=True)
    base = f"https://127.0.0.1:{target.server_address[1]}/v1/etl/_object/e/s"
    try:
        for env, expected in [({"AIS_CLIENT_CA": str(cert)}, 200), ({"AIS_SKIP_VERIFY_CRT": "true"}, 200), ({}, 502)]:
            s = Server("etl-echo", env={"AIS_TARGET_URL": base, **env})
            try:
                status, _, body = s.request("GET", "/bck/obj")
                assert status == expected, (env, status, body)
                if expected == 200:
                    assert body == b"from-target:/v1/etl/_object/e/s/bck%2Fobj"
                else:
                    assert b"SSLError" in body  # an unverified certificate is refused
            finally:
                s.stop()
    finally:
        target.shutdown()


def test_pipelined_large_and_small_responses_stay_in_order(echo):
    big = os.urandom(300_000)
    reqs = (b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big +
            b"PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nxyz" +
            b"PUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(big) + big[::-1] +
            b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    s = socket.create_connection(("127.0.0.1", echo.port), timeout=10)
    # Send everything before reading anything: the server must hold later responses behind a
    # large one it cannot write at once, and never reorder them.
    sender = threading.Thread(target=s.sendall, args=(reqs,))
    sender.start()
    time.sleep(0.3)
    data = b""
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        data += chunk
    sender.join()
    s.close()
    bodies = []
    rest = data
    while rest:
        head, rest = rest.split(b"\r\n\r\n", 1)
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
        bodies.append(rest[:length])
        rest = rest[length:]
    assert bodies == [big, b"xyz", big[::-1], b"Running"]


# ---- outbound allow-lists and POST /download (contract §2, Go framework parity) ----

def download_query(url, obj="dir/o b.jpg", args=None):
    q = {"original_url": url, "object_to": obj}
    if args is not None:
        q["etl_args"] = args
    return "/download?" + urllib.parse.urlencode(q)


def test_download_is_off_until_allowed():
    src = StubTarget()
    s = etl_with_target()
    try:
        status, headers, body = s.request("POST", download_query(src.base + "/x/obj"))
        assert status == 403 and b"ANVIL_DOWNLOAD_ALLOW" in body
        assert headers["content-type"] == "application/json"
        assert src.gets == []  # nothing was fetched
    finally:
        s.stop()
        src.close()


def test_download_fetches_transforms_and_answers():
    src = StubTarget()
    s = etl_with_target("etl-inspect", {"ANVIL_DOWNLOAD_ALLOW": "example.com, 127.0.0.1", "AIS_AUTHN_TOKEN": "tok"})
    try:
        status, headers, body = s.request("POST", download_query(src.base + "/x/obj?sig=abc", args="  {\"q\": 1} "))
        assert status == 200, body
        seen = json.loads(body)
        assert seen["input"] == "from-target:/x/obj?sig=abc"
        assert (seen["path"], seen["raw_path"], seen["etl_args"]) == ("dir/o b.jpg", "/dir/o%20b.jpg", '{"q": 1}')
        # The cluster's token never goes to a third-party host.
        assert src.gets == [("/x/obj?sig=abc", None)]
        # An Ais-Node-Url on a download is not a pipeline: the result comes back to the caller.
        status, _, body = s.request("POST", download_query(src.base + "/y"), headers={"Ais-Node-Url": "http://127.0.0.1:9"})
        assert status == 200 and json.loads(body)["input"] == "from-target:/y"
    finally:
        s.stop()
        src.close()


def test_download_bad_requests():
    src = StubTarget()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    s = etl_with_target(extra_env={"ANVIL_DOWNLOAD_ALLOW": f"127.0.0.1:{src.server_address[1]},127.0.0.1:{dead}"})
    try:
        for query, expected_status, expected_text in [
            ("/download?object_to=o", 400, b"required"),
            ("/download?original_url=" + urllib.parse.quote(src.base + "/x"), 400, b"required"),
            (download_query(src.base + "/x", obj=""), 400, b"required"),
            (download_query("ftp://127.0.0.1/x"), 400, b"original_url"),
            (download_query("http://user:pw@127.0.0.1/x"), 400, b"original_url"),
            (download_query("http://127.0.0.1:1/x"), 403, b"127.0.0.1:1 is not in ANVIL_DOWNLOAD_ALLOW"),
            (download_query("http://localhost:%d/x" % src.server_address[1]), 403, b"not in ANVIL_DOWNLOAD_ALLOW"),
            (download_query(src.base + "/missing"), 404, b"no such object"),
            (download_query(src.base + "/boom"), 500, b"target exploded"),
        ]:
            status, _, body = s.request("POST", query)
            assert (status, expected_text in body) == (expected_status, True), (query, status, body)
        assert [p for p, _ in src.gets] == ["/missing", "/boom"]  # refused ones never left
        # Unreachable source: 502, without the URL's query (a presigned URL's signature).
        status, _, body = s.request("POST", download_query(f"http://127.0.0.1:{dead}/obj?X-Amz-Signature=s3cr3t"))
        assert status == 502 and b"/obj" in body and b"s3cr3t" not in body
        # Only POST on the exact path: other methods and paths are the object routes.
        assert s.request("PUT", download_query(src.base + "/x"), body=b"abc")[2] == b"abc"
        assert s.request("POST", "/download/obj", body=b"abc")[2] == b"abc"
    finally:
        s.stop()
        src.close()


def test_download_on_a_streaming_server():
    src = StubTarget()
    s = etl_with_target("etl-stream-probe", {"ANVIL_DOWNLOAD_ALLOW": "*"})
    try:
        status, _, body = s.request("POST", download_query(src.base + "/streamed"))
        assert (status, body) == (200, b"from-target:/streamed")
    finally:
        s.stop()
        src.close()


@pytest.mark.parametrize("server", ["etl-echo", "etl-stream-probe"])
def test_hop_allow_list(server):
    allowed = StubHop(status=200)
    other = StubHop(status=200)
    port = allowed.server_address[1]
    s = etl_with_target(server, {"ANVIL_HOP_ALLOW": f"LOCALHOST:1, 127.0.0.1:{port}"})
    try:
        status, headers, _ = s.request("PUT", "/b/o", body=b"data", headers={"Ais-Node-Url": allowed.url + "/d"})
        assert status == 204 and headers["ais-direct-put-length"] == "4"
        status, _, body = s.request("PUT", "/b/o", body=b"data", headers={"Ais-Node-Url": other.url + "/d"})
        assert status == 403 and b"is not in ANVIL_HOP_ALLOW" in body
        assert other.puts == []
        # The same rule for a later hop of a pipeline: the first hop is checked by each stage.
        status, _, body = s.request("PUT", "/b/o", body=b"data",
                                    headers={"Ais-Node-Url": f"{other.url}/d, {allowed.url}/d"})
        assert status == 403 and other.puts == []
    finally:
        s.stop()
        allowed.shutdown()
        other.shutdown()


@pytest.mark.parametrize("bad", [{"ANVIL_HOP_ALLOW": "http://h"}, {"ANVIL_HOP_ALLOW": "h:0"},
                                 {"ANVIL_HOP_ALLOW": "a,,b"}, {"ANVIL_DOWNLOAD_ALLOW": "[::1"},
                                 {"ANVIL_DOWNLOAD_ALLOW": "h:99999"}, {"ANVIL_DOWNLOAD_ALLOW": "h/path"}])
def test_bad_allow_list_is_refused_at_start(bad):
    env = dict(os.environ, **bad)
    r = subprocess.run([os.path.join(BIN, "etl-echo"), "--standalone"], capture_output=True, env=env, timeout=10)
    name = next(iter(bad))
    assert r.returncode == 2 and r.stderr.startswith(f"anvil etl: error: {name}: entry ".encode()), r.stderr
