#!/usr/bin/env python3
"""Runs `anvil load` and wrk (and other installed clients) in alternation against the same
nginx on loopback, pinned apart, and prints requests/s and client CPU per request as ratios
from the same run.

    .venv/bin/python bench/compare_clients.py [--duration 10] [--trials 5] [--connections 64]

Every load is bounded in time and targets 127.0.0.1 only; nginx is started in its own process
group and stopped by PID when the script ends.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY = "Hello, World!"  # 13 bytes, as in the reference measurement


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(workdir, port, cpu):
    conf = os.path.join(workdir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 1;
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {workdir}/body;
  proxy_temp_path {workdir}/proxy;
  fastcgi_temp_path {workdir}/fastcgi;
  uwsgi_temp_path {workdir}/uwsgi;
  scgi_temp_path {workdir}/scgi;
  keepalive_requests 100000000;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type text/plain; return 200 "{BODY}"; }}
  }}
}}
""")
    cmd = ["nginx", "-c", conf, "-p", workdir]
    if cpu is not None and shutil.which("taskset"):
        cmd = ["taskset", "-c", str(cpu)] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as r:
                if r.read().decode() == BODY:
                    return proc
        except OSError:
            time.sleep(0.05)
    stop(proc)
    raise SystemExit("nginx did not become ready")


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def timed(cmd, timeout):
    """Runs cmd; returns (stdout, child CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr.strip()[:300]}")
    return out.stdout, cpu


def pin(cmd, cpu):
    return (["taskset", "-c", str(cpu)] + cmd) if cpu is not None and shutil.which("taskset") else cmd


def run_anvil(url, a, cpu):
    cmd = pin([a.anvil, "load", url, "-t", "1", "-c", str(a.connections), "-d", f"{a.duration}s",
               "--json", "-", "--no-progress"], cpu)
    out, cpu_s = timed(cmd, a.duration + 30)
    j = json.loads(out)
    return j["rps"], j["requests"], cpu_s


def run_wrk(url, a, cpu):
    cmd = pin(["wrk", "-t", "1", "-c", str(a.connections), "-d", f"{a.duration}s", url], cpu)
    out, cpu_s = timed(cmd, a.duration + 30)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, total, cpu_s


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--anvil", default=os.path.join(ROOT, "build", "anvil"))
    p.add_argument("--duration", type=int, default=10)
    p.add_argument("--trials", type=int, default=5)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--json", help="also write the figures here")
    a = p.parse_args()
    if a.duration < 1 or a.duration > 300 or a.trials < 1 or a.trials > 50:
        p.error("--duration must be 1..300 s and --trials 1..50")
    for tool in ("nginx", "wrk"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (scripts/setup.sh installs it)")
    if not os.access(a.anvil, os.X_OK):
        raise SystemExit(f"{a.anvil} not found: build first (cmake --preset release && cmake --build build)")

    ncpu = len(os.sched_getaffinity(0))
    server_cpu, client_cpu = (1, 0) if ncpu >= 2 else (None, None)
    clients = {"anvil": run_anvil, "wrk": run_wrk}
    results = {name: [] for name in clients}
    with tempfile.TemporaryDirectory(prefix="anvil-bench-") as workdir:
        port = free_port()
        nginx = start_nginx(workdir, port, server_cpu)
        url = f"http://127.0.0.1:{port}/"
        try:
            for trial in range(a.trials):
                order = list(clients) if trial % 2 == 0 else list(reversed(clients))
                for name in order:
                    rps, total, cpu_s = clients[name](url, a, client_cpu)
                    results[name].append({"rps": rps, "requests": total, "cpu_s": cpu_s,
                                          "cpu_us_per_request": cpu_s / total * 1e6 if total else float("nan")})
                    print(f"trial {trial + 1}/{a.trials} {name:6s} {rps:12,.0f} req/s  "
                          f"{results[name][-1]['cpu_us_per_request']:.2f} us CPU/request", file=sys.stderr)
        finally:
            stop(nginx)

    print(f"\nnginx 13-byte body on 127.0.0.1, 1 client thread, {a.connections} keep-alive connections, "
          f"{a.duration}s x {a.trials} trials, alternating; client on CPU {client_cpu}, nginx on CPU {server_cpu}")
    print(f"{'client':8s} {'req/s median':>14s} {'min..max':>22s} {'CPU us/req':>11s} {'rps ratio':>10s} {'CPU ratio':>10s}")
    base_rps = statistics.median(r["rps"] for r in results["wrk"])
    base_cpu = statistics.median(r["cpu_us_per_request"] for r in results["wrk"])
    summary = {}
    for name, runs in results.items():
        rps = [r["rps"] for r in runs]
        cpu = statistics.median(r["cpu_us_per_request"] for r in runs)
        med = statistics.median(rps)
        summary[name] = {"rps_median": med, "rps_min": min(rps), "rps_max": max(rps), "cpu_us_per_request": cpu,
                         "rps_ratio_vs_wrk": med / base_rps, "cpu_ratio_vs_wrk": cpu / base_cpu, "trials": runs}
        print(f"{name:8s} {med:14,.0f} {min(rps):10,.0f}..{max(rps):<10,.0f} {cpu:11.2f} {med / base_rps:9.2f}x {cpu / base_cpu:9.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
