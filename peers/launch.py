"""Start and stop the peers described in peers.json (used by test_peers.py and bench.py).

Each peer runs in its own session (process group), so stopping it by that group also stops
Gunicorn/Uvicorn workers and nginx's worker processes; nothing is ever stopped by name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
PEERS_JSON = Path(__file__).resolve().parent / "peers.json"
# nginx lives in /usr/sbin, which is not on every user's PATH.
_EXTRA_PATH = "/usr/local/sbin:/usr/sbin:/sbin"


def load_peers() -> list[dict]:
    with open(PEERS_JSON, encoding="utf-8") as f:
        return json.load(f)["peers"]


def find_peer(name: str) -> dict:
    for peer in load_peers():
        if peer["name"] == name:
            return peer
    raise KeyError(f"no peer named {name!r} in {PEERS_JSON}")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def which(program: str) -> str | None:
    return shutil.which(program, path=os.environ.get("PATH", "") + ":" + _EXTRA_PATH)


def missing(peer: dict, python: str = sys.executable) -> str | None:
    """Why the peer cannot run here (a sentence), or None if everything it needs is installed.

    Python modules are looked up in the running interpreter, so call this from the
    interpreter that {python} names (the project venv).
    """
    req = peer["requires"]
    values = {"root": str(ROOT), "python": python}
    for module in req["python_modules"]:
        if importlib.util.find_spec(module) is None:
            return f"Python module {module!r} not installed (run scripts/setup-peers.sh)"
    for path in req["files"]:
        if not os.access(_fill(path, values), os.X_OK):
            return f"{_fill(path, values)} not built (run scripts/setup-peers.sh)"
    for program in req["programs"]:
        if which(program) is None:
            return f"program {program!r} not found (apt-get install nginx-light)"
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the kernel picks it; a small race remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Running:
    peer: dict
    host: str
    port: int
    proc: subprocess.Popen
    log: IO[bytes] = field(repr=False)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-4000:]


def start(
    peer: dict,
    port: int | None = None,
    host: str = "127.0.0.1",
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    prefix: list[str] | None = None,
    ready_timeout: float = 20.0,
) -> Running:
    """Starts the peer, waits until GET <ready> answers 200, returns it running.

    env overrides the peer's own env entries (e.g. a stub AIS_TARGET_URL); prefix is put in
    front of argv (e.g. ["taskset", "-c", "1"]). Raises RuntimeError with the peer's output
    if it exits or does not become ready in time.
    """
    port = port or free_port(host)
    values = {"root": str(ROOT), "python": python, "host": host, "port": str(port)}
    argv = (prefix or []) + [_fill(a, values) for a in peer["argv"]]
    child_env = dict(os.environ)
    child_env["PATH"] = child_env.get("PATH", "") + ":" + _EXTRA_PATH
    child_env["PYTHONUNBUFFERED"] = "1"
    child_env.update({k: _fill(v, values) for k, v in peer["env"].items()})
    child_env.update(env or {})
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        argv,
        cwd=_fill(peer["cwd"], values),
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Running(peer, host, port, proc, log)
    try:
        wait_ready(running, ready_timeout)
    except BaseException:
        stop(running)
        raise
    return running


def wait_ready(running: Running, timeout: float) -> None:
    url = running.base_url + running.peer["ready"]
    deadline = time.monotonic() + timeout
    while True:
        if running.proc.poll() is not None:
            raise RuntimeError(
                f"{running.peer['name']} exited with {running.proc.returncode}:\n"
                + running.output()
            )
        try:
            with urllib.request.urlopen(url, timeout=1.0) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{running.peer['name']} not ready at {url} after {timeout:.0f}s:\n"
                + running.output()
            )
        time.sleep(0.05)


def stop(running: Running, timeout: float = 10.0) -> int:
    """SIGTERM to the peer's process group, SIGKILL if it lingers; returns the exit code."""
    proc = running.proc
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            continue
    # Workers that outlived their parent are still in the group.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    running.log.close()
    return proc.returncode
