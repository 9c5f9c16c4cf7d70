"""`anvil run` end to end: real targets (anvil's servers and peers of the published comparison)
started and stopped by the lab, real drivers, the SQLite store read back with Python's own
sqlite3 and through `anvil results`.

Every case runs a small suite from tests/lab/suites/ into a fresh database under tmp_path.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

BIN = Path(os.environ.get("ANVIL_BINARY_DIR", Path(__file__).resolve().parents[2] / "build"))
SOURCE = Path(os.environ.get("ANVIL_SOURCE_DIR", Path(__file__).resolve().parents[2]))
SUITES = SOURCE / "tests" / "lab" / "suites"
ANVIL = str(BIN / "anvil")


def run_anvil(*args: str, timeout: float = 240, cwd: Path | None = None):
    return subprocess.run([ANVIL, *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd)


def results_json(db: Path, *extra: str) -> list[dict]:
    out = run_anvil("results", "--db", str(db), "--format", "json", *extra)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def processes_in(directory: Path) -> list[int]:
    """PIDs of live processes whose working directory is `directory` (read from /proc only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(os.readlink(entry / "cwd")) == directory:
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def stored_runs(db: Path) -> list[sqlite3.Row]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.row_factory = sqlite3.Row
    try:
        return con.execute("SELECT * FROM runs ORDER BY id").fetchall()
    finally:
        con.close()


def test_e2e_suite_measures_peers_under_three_drivers(tmp_path):
    db = tmp_path / "lab.db"
    out = run_anvil("run", str(SUITES / "e2e.toml"), "--db", str(db), timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "e2e" in out.stdout  # the results table follows the run

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()

    rows = results_json(db)
    by_key = {(r["target"], r["driver"]): r for r in rows}
    assert set(by_key) == {(t, d) for t in ("anvil-hello", "go-http", "fastapi-uvicorn")
                           for d in ("anvil", "wrk", "jsonline")}
    for (target, driver), row in by_key.items():
        assert row["status"] == "ok", (target, driver, row)
        assert row["trials"] == 2 and row["ok_trials"] == 2, row
        assert row["rps_median"] > 50, row
        assert row["rps_min"] <= row["rps_median"] <= row["rps_max"], row
        assert row["error_rate"] == 0, row
        assert row["p50_us"] > 0 and row["p99_us"] >= row["p50_us"], row
        assert row["server_cpu_mean_pct"] > 0, row
        assert row["server_cpu_us_per_request"] > 0, row
        assert row["server_rss_peak_bytes"] > 1 << 20, row
    # anvil load and the JSON-line program send histograms; wrk only percentiles.
    assert by_key[("go-http", "anvil")]["latency_from_histogram"] is True
    assert by_key[("go-http", "wrk")]["latency_from_histogram"] is False
    # FastAPI runs Python: more server CPU per request than anvil's C++ server, measured by
    # the same driver in the same suite run.
    assert (by_key[("fastapi-uvicorn", "anvil")]["server_cpu_us_per_request"]
            > by_key[("anvil-hello", "anvil")]["server_cpu_us_per_request"])

    # The CSV has the same rows.
    out = run_anvil("results", "--db", str(db), "--format", "csv")
    assert out.returncode == 0, out.stderr
    lines = [line for line in out.stdout.splitlines() if line]
    assert len(lines) == 1 + len(rows)

    # The chart: well-formed XML (Python's parser), one bar per measured row, client-bound
    # ones set apart, as many as the JSON says.
    chart = tmp_path / "chart.svg"
    out = run_anvil("results", "--db", str(db), "--format", "svg", "-o", str(chart))
    assert out.returncode == 0, out.stderr
    svg = ET.parse(chart).getroot()
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    bars = [e for e in svg.iter("{http://www.w3.org/2000/svg}rect") if "bar" in e.get("class", "").split()]
    measured = [r for r in rows if r["status"] == "ok"]
    assert len(bars) == len(measured)
    assert (sum("client-bound" in b.get("class") for b in bars)
            == sum(bool(r["client_bound"]) for r in measured))

    # Every run has its samples and the environment was captured once.
    con = sqlite3.connect(db)
    env = json.loads(con.execute("SELECT environment_json FROM suite_runs").fetchone()[0])
    assert env["cpu_count"] >= 1 and env["kernel"] and "versions" in env
    con.close()
    assert len(stored_runs(db)) == 18


def test_misbehaving_targets_are_recorded_and_the_suite_goes_on(tmp_path):
    db = tmp_path / "lab.db"
    start = time.monotonic()
    # A relative --db (and so relative scratch paths) from another working directory.
    out = run_anvil("run", str(SUITES / "failures.toml"), "--db", "lab.db", timeout=180,
                    cwd=tmp_path)
    elapsed = time.monotonic() - start
    assert out.returncode == 4, out.stdout + out.stderr  # some runs failed
    runs = {r["target"]: r for r in stored_runs(db)}
    assert set(runs) == {"healthy", "never-ready", "exits-early", "wrong-body", "crashes",
                         "ignores-sigterm", "not-installed"}
    assert runs["healthy"]["status"] == "ok"
    assert runs["never-ready"]["status"] == "failed"
    assert "not ready after 1 s" in runs["never-ready"]["reason"], runs["never-ready"]["reason"]
    assert runs["exits-early"]["status"] == "failed"
    assert "exited with status 3" in runs["exits-early"]["reason"]
    assert "cannot bind: boom" in runs["exits-early"]["log_tail"]
    assert runs["wrong-body"]["status"] == "verify_failed"
    assert "expected 'Hello World!'" in runs["wrong-body"]["reason"]
    assert runs["crashes"]["status"] == "failed"
    assert "during the measurement" in runs["crashes"]["reason"]
    assert "killed the server" in runs["crashes"]["log_tail"]
    assert runs["ignores-sigterm"]["status"] == "ok"
    assert "ignored SIGTERM" in runs["ignores-sigterm"]["warnings_json"]
    assert runs["not-installed"]["status"] == "not_installed"
    assert "/nonexistent/anvil-peer" in runs["not-installed"]["reason"]
    assert elapsed < 120
    # Nothing the suite started is left running.
    assert processes_in(SUITES) == []


def test_kill_9_mid_suite_loses_at_most_one_run_and_resume_finishes(tmp_path):
    suite = tmp_path / "resume.toml"
    # Targets run in tmp_path (cwd) so the test can see whether any outlives the lab.
    suite.write_text(f"""
[suite]
name = "resume"
duration = "1500ms"
warmup = "0s"
trials = 4
venv = "{SOURCE}/.venv"
[[target]]
name = "hello"
command = ["{BIN}/etl-hello", "--standalone", "--host", "{{host}}", "--port", "{{port}}"]
cwd = "{tmp_path}"
[[scenario]]
kind = "concurrency"
connections = [4]
""")
    db = tmp_path / "lab.db"
    lab = subprocess.Popen([ANVIL, "run", str(suite), "--db", str(db)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if db.exists():
                try:
                    if len(stored_runs(db)) >= 1 and processes_in(tmp_path):
                        break
                except sqlite3.Error:
                    pass
            time.sleep(0.1)
        else:
            pytest.fail("the first run was never stored")
        lab.send_signal(signal.SIGKILL)
        lab.wait(timeout=10)
    finally:
        if lab.poll() is None:
            lab.kill()
            lab.wait()
    # The watchdog stops the target the dead lab left behind.
    deadline = time.monotonic() + 10
    while processes_in(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_in(tmp_path) == []

    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    stored_before = len(stored_runs(db))
    assert 1 <= stored_before < 4

    out = run_anvil("run", str(suite), "--db", str(db), "--only", "nothing-here", timeout=60)
    assert out.returncode == 2  # a bad --only is refused before anything starts...
    out = run_anvil("results", "--db", str(db))
    assert out.returncode == 0
    # ...and a plain run says which suite run was interrupted before starting a new one;
    # --resume finishes the interrupted one instead.
    out = run_anvil("run", str(suite), "--db", str(db), "--resume", timeout=120)
    assert out.returncode == 0, out.stderr
    assert "resuming suite run #1" in out.stderr
    runs = stored_runs(db)
    assert sorted(r["trial"] for r in runs) == [1, 2, 3, 4]
    assert all(r["status"] == "ok" for r in runs)
    con = sqlite3.connect(db)
    assert con.execute("SELECT status FROM suite_runs WHERE id = 1").fetchone()[0] == "done"
    con.close()


def test_bad_suites_are_refused_before_anything_starts(tmp_path):
    cases = {
        "unknown key": ('[[target]]\nname = "a"\ncomand = ["x"]\n', "target[0].comand: unknown key"),
        "duplicate target": ('[[target]]\nname = "a"\ncommand = ["x"]\n[[target]]\nname = "a"\n'
                             'command = ["y"]\n[[scenario]]\nkind = "single"\n',
                             "duplicate target 'a'"),
        "impossible value": ('[suite]\ntrials = -1\n[[target]]\nname = "a"\ncommand = ["x"]\n'
                             '[[scenario]]\nkind = "single"\n', "suite.trials: must be 1..1000"),
        "missing command": ('[[target]]\nname = "a"\n[[scenario]]\nkind = "single"\n',
                            "'command' (an array of strings) or 'peer' is required"),
    }
    for name, (text, expected) in cases.items():
        suite = tmp_path / f"{name.replace(' ', '-')}.toml"
        suite.write_text(text)
        db = tmp_path / f"{name}.db"
        out = run_anvil("run", str(suite), "--db", str(db), timeout=30)
        assert out.returncode == 2, (name, out.stderr)
        assert out.stderr.startswith("anvil: error: " + str(suite) + ":"), (name, out.stderr)
        assert expected in out.stderr, (name, out.stderr)
        assert not db.exists(), name  # nothing started, nothing written
    out = run_anvil("run", str(tmp_path / "missing.toml"), timeout=30)
    assert out.returncode == 2 and "cannot read suite" in out.stderr


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))
