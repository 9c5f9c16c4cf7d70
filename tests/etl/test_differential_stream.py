"""Differential conformance for streaming transforms: anvil's etl-stream-probe (a streaming
echo) against aistore[etl]'s FastAPIServer with a streaming echo (echo_stream_fastapi.py).
Same environment (a stub AIS target, a token, one direct-put retry, an FQN root), the same
requests; status, body and Ais-* headers compared. Processes run in their own sessions and are
stopped by process group."""
import os
import urllib.parse

import pytest
from differential import HERE, SECRET_PATH, TOKEN, Anvil, Endpoint, assert_same, fqn_query, server_env
from etl_stubs import StubHop, StubTarget
from test_differential_aistore import launch


class FastAPIStream(Endpoint):
    def __init__(self, env):
        peer = dict(launch.find_peer("aistore-fastapi-echo"))
        argv = list(peer["argv"])
        del argv[argv.index("--workers"):argv.index("--workers") + 2]
        argv[argv.index("echo_fastapi:fastapi_app")] = "echo_stream_fastapi:fastapi_app"
        peer.update(argv=argv, cwd=HERE)
        self.running = launch.start(peer, env=env, ready_timeout=30)
        super().__init__("fastapi", self.running.port)

    def stop(self):
        launch.stop(self.running)


@pytest.fixture(scope="module")
def target():
    t = StubTarget()
    yield t
    t.close()


@pytest.fixture(scope="module")
def fqn_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("fqn-stream")
    (root / "obj.bin").write_bytes(bytes(range(256)) * 300)
    return root


@pytest.fixture(scope="module")
def pair(target, fqn_root):
    env = server_env(target.base + SECRET_PATH, fqn_root)
    anvil = Anvil(env, binary="etl-stream-probe")
    try:
        fastapi = FastAPIStream(env)
    except BaseException:
        anvil.stop()
        raise
    yield anvil, fastapi
    fastapi.stop()
    anvil.stop_cleanly()


def both(pair, *args, **kwargs):
    return [ep.request(*args, **kwargs) for ep in pair]


@pytest.mark.parametrize("size", [0, 1, 40_000, 1 << 20])
def test_streaming_put_echo(pair, size):
    payload = os.urandom(size)
    a, f = both(pair, "PUT", "/bck/obj", body=payload)
    assert_same(a, f, content_type=True)
    assert a.body == payload
    assert a.headers.get("transfer-encoding") == f.headers.get("transfer-encoding") == "chunked"


def test_streaming_put_chunked_request(pair):
    pieces = [os.urandom(n) for n in (7, 40_000, 1)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    a, f = both(pair, "PUT", "/bck/obj", body=framed, headers={"Transfer-Encoding": "chunked"})
    assert_same(a, f, content_type=True)
    assert a.body == b"".join(pieces)


def test_streaming_hpull(pair, target):
    a, f = both(pair, "GET", "/bck/dir%2Fobj")
    assert_same(a, f, content_type=True)
    assert a.body == b"from-target:" + SECRET_PATH.encode() + b"/bck%2Fdir%2Fobj"
    for name, status in (("missing", 404), ("boom", 500)):
        a, f = both(pair, "GET", f"/bck/{name}")
        assert a.status == f.status == status


def test_streaming_fqn(pair, fqn_root):
    for method in ("PUT", "GET"):
        a, f = both(pair, method, "/x?" + fqn_query(fqn_root / "obj.bin"), body=b"" if method == "PUT" else None)
        assert_same(a, f, content_type=True)
        assert a.body == bytes(range(256)) * 300


@pytest.mark.parametrize("hop_kwargs", [dict(status=200), dict(status=204, headers={"Ais-Direct-Put-Length": "42"}),
                                        dict(status=200, body=b"stage-output"), dict(status=500, body=b"error message")])
def test_streaming_direct_put(pair, hop_kwargs):
    hop = StubHop(**hop_kwargs)
    try:
        payload = os.urandom(40_000)
        a, f = both(pair, "PUT", "/b/o", body=payload, headers={"Ais-Node-Url": hop.url + "/dst%2Fo"})
        assert_same(a, f)
        assert len(hop.puts) == 2 and hop.puts[0] == hop.puts[1]
        assert hop.puts[0]["body"] == payload and hop.puts[0]["transfer_encoding"] == "chunked"
        assert hop.puts[0]["auth"] == "Bearer " + TOKEN
    finally:
        hop.close()


# Not compared: the one-shot bail-out (a hop that resets the connection during a streaming PUT
# body). aistore 2.0.0's FastAPIServer gave no reply within 20 s in this set-up, so the case is
# asserted against the contract alone, in test_etl_stream.py::test_direct_put_outcomes.
