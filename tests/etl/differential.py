"""What the differential suites share: anvil's ETL servers as processes, replies, the request
helpers and the common environment. The references (aistore[etl] FastAPI, the aistore Go
framework) are started by each suite. Every process runs in its own session and is stopped by
process group."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("ANVIL_SOURCE_DIR", os.path.join(HERE, "..", ".."))
BIN = os.environ.get("ANVIL_BINARY_DIR", os.path.join(SOURCE, "build"))

SECRET_PATH = "/v1/etl/_object/echo-etl/Xa8s3cr3t"
TOKEN = "tok-123"
MIB = 1 << 20


def dead_port():
    """A port nobody listens on (refused connections)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def ais(self):
        """The Ais-* response headers, lower-cased names."""
        return {k: v for k, v in self.headers.items() if k.startswith("ais-")}

    def __repr__(self):
        return f"Reply({self.status}, {self.headers}, {self.body[:200]!r})"


class Endpoint:
    def __init__(self, name, port):
        self.name, self.port = name, port

    def request(self, method, path, body=None, headers=None, timeout=20):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            c.close()

    def ws(self):
        from websockets.sync.client import connect
        return connect(f"ws://127.0.0.1:{self.port}/ws", max_size=None, open_timeout=10)


class Anvil(Endpoint):
    """One of anvil's ETL example servers (etl-echo by default), on a port it picks itself."""

    def __init__(self, env, binary="etl-echo"):
        full_env = dict(os.environ)
        full_env.update(env)
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([os.path.join(BIN, binary), "--host", "127.0.0.1", "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=self.log, env=full_env,
                                     start_new_session=True)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"{binary} did not start: {line!r}")
        super().__init__("anvil", int(line.split()[1]))

    def stop(self):
        """Stops the server; returns (exit code, its stderr)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.seek(0)
        err = self.log.read().decode(errors="replace")
        self.log.close()
        return self.proc.returncode, err

    def stop_cleanly(self):
        code, err = self.stop()
        # SIGTERM is a clean exit (code 0); in a sanitizer build this also catches its reports.
        assert code == 0 and "Sanitizer" not in err and "runtime error" not in err, (code, err[-4000:])


def server_env(target_url, fqn_root):
    return {
        "AIS_TARGET_URL": target_url,
        "AIS_AUTHN_TOKEN": TOKEN,
        "AIS_DIRECT_PUT_RETRIES": "1",  # FastAPI's retries back off 1 s each: keep it to one
        "ANVIL_DIRECT_PUT_BACKOFF": "10ms",
        "ANVIL_FQN_ROOTS": str(fqn_root),
        "ETL_DIRECT_FQN": "false",
    }


def make_fqn_root(base):
    """An FQN root with one object, and a file beside the root (outside it)."""
    root = base / "mp1"
    obj_dir = root / "@ais" / "bck" / "%ob"
    obj_dir.mkdir(parents=True)
    (obj_dir / "a b.jpg").write_bytes(b"object-bytes")
    (base / "outside.txt").write_bytes(b"outside the roots")
    return root


def assert_same(a, f, content_type=False):
    assert a.status == f.status, (a, f)
    assert a.body == f.body, (a, f)
    assert a.ais() == f.ais(), (a, f)
    if content_type:
        assert a.headers.get("content-type") == f.headers.get("content-type"), (a, f)


def fqn_query(path):
    # As the target sends it: url.PathEscape(fqn), then query-encoded (double encoding).
    return "etl_fqn=" + urllib.parse.quote(urllib.parse.quote(str(path), safe="/@"), safe="")


def ctrl(**fields):
    return json.dumps(fields).encode()


def ws_exchange(ep, messages, replies):
    """Sends the messages (control dicts and data bytes), then reads that many replies."""
    with ep.ws() as ws:
        for m in messages:
            ws.send(ctrl(**m) if isinstance(m, dict) else m)
        return [ws.recv(timeout=20) for _ in range(replies)]
