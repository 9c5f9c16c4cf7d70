#!/usr/bin/env python3
"""anvil's ETL servers against the peers of the AIStore ETL comparison, measured with
`anvil load` in the same run: requests/s, p99 and server CPU per request.

    .venv/bin/python bench/etl_servers.py [--duration 5] [--trials 3] [--sizes 4,1024,65536] [name ...]

Each server runs pinned to CPU 1, the client to CPU 0 (2-core machine), 1 client thread, 64
keep-alive connections, PUT /obj with a body of each size, closed loop. Server CPU is the
user+system time of the server's whole process tree (Gunicorn/Uvicorn workers are children)
over the measured run, read from /proc. Servers run one at a time, restarted per trial, and
trials alternate the order. Loopback only; every process is stopped by its process group.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "peers"))
import launch  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")

ANVIL = {
    "anvil-hello": ["{root}/build/etl-hello", "--standalone", "--host", "{host}", "--port", "{port}"],
    "anvil-echo": ["{root}/build/etl-echo", "--standalone", "--host", "{host}", "--port", "{port}"],
}
DEFAULT = ["anvil-hello", "anvil-echo", "nginx", "go-http", "fastapi-uvicorn", "fastapi-gunicorn",
           "aistore-fastapi-echo", "aistore-fastapi-hello", "flask-gunicorn", "aistore-http-echo"]


def tree_cpu_seconds(pid):
    """user+system seconds of pid and all its descendants (live ones)."""
    total = 0.0
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append((int(entry), fields))
    stack = [pid]
    own = None
    try:
        with open(f"/proc/{pid}/stat") as f:
            own = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    total += (int(own[11]) + int(own[12])) / TICKS
    while stack:
        for child, fields in children.get(stack.pop(), []):
            total += (int(fields[11]) + int(fields[12])) / TICKS
            stack.append(child)
    return total


def peer_for(name):
    if name in ANVIL:
        return {"name": name, "argv": ANVIL[name], "env": {}, "cwd": "{root}", "ready": "/health",
                "requires": {"python_modules": [], "files": [ANVIL[name][0]], "programs": []}}
    return launch.find_peer(name)


def measure(peer, size, a):
    env = {"AIS_TARGET_URL": "http://127.0.0.1:9/v1/etl/_object/bench/secret"}
    running = launch.start(peer, prefix=["taskset", "-c", "1"], python=os.path.join(ROOT, ".venv", "bin", "python"), env=env)
    body_file = os.path.join(a.tmp, f"body-{size}")
    try:
        url = running.base_url + "/bck/obj"
        cmd = ["taskset", "-c", "0", os.path.join(ROOT, "build", "anvil"), "load", url, "-m", "PUT", "--body-file", body_file,
               "-c", str(a.connections), "-d", f"{a.duration}s", "--warmup", "1s", "--json", "-", "--no-progress"]
        before = tree_cpu_seconds(running.proc.pid)
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.duration + 60)
        after = tree_cpu_seconds(running.proc.pid)
        if out.returncode != 0:
            return {"error": out.stderr.strip()[-200:]}
        j = json.loads(out.stdout)
        served = j["requests"]
        # Warm-up requests use CPU too: count them at the measured rate over the warm-up second.
        total_requests = served + j["rps"] * 1.0
        return {"rps": j["rps"], "p99_us": j["latency_us"]["p99"], "errors": j["error_ratio"],
                "server_cpu_us_per_request": (after - before) / total_requests * 1e6 if total_requests else None,
                "client_bound": j["client_bound"]}
    finally:
        launch.stop(running)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("names", nargs="*", default=DEFAULT)
    p.add_argument("--duration", type=int, default=5)
    p.add_argument("--trials", type=int, default=3)
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--sizes", default="4,1024,65536")
    p.add_argument("--json")
    a = p.parse_args()
    if not 1 <= a.duration <= 120 or not 1 <= a.trials <= 20:
        p.error("--duration 1..120 s, --trials 1..20")
    sizes = [int(s) for s in a.sizes.split(",")]
    import tempfile
    with tempfile.TemporaryDirectory(prefix="anvil-etl-bench-") as tmp:
        a.tmp = tmp
        for size in sizes:
            with open(os.path.join(tmp, f"body-{size}"), "wb") as f:
                f.write(b"t" * size)
        peers = []
        for name in a.names:
            peer = peer_for(name)
            why = launch.missing(peer, os.path.join(ROOT, ".venv", "bin", "python"))
            if why:
                print(f"{name}: not installed ({why})", file=sys.stderr)
                continue
            peers.append(peer)
        results = {}
        for trial in range(a.trials):
            order = peers if trial % 2 == 0 else list(reversed(peers))
            for peer in order:
                for size in sizes:
                    r = measure(peer, size, a)
                    results.setdefault((peer["name"], size), []).append(r)
                    print(f"trial {trial + 1} {peer['name']:24s} {size:6d} B  {r}", file=sys.stderr)
    print(f"\nPUT /bck/obj, 64 keep-alive connections, anvil load 1 thread on CPU 0, server on CPU 1, "
          f"{a.duration}s x {a.trials} trials (median)")
    summary = {}
    for size in sizes:
        print(f"\nbody {size} B")
        print(f"| server | req/s | p99 | server CPU/request | vs go-http req/s | vs go-http CPU/req |")
        print(f"|---|---|---|---|---|---|")
        def med(name, key):
            vals = [r[key] for r in results.get((name, size), []) if r.get(key) is not None]
            return statistics.median(vals) if vals else None
        go_rps, go_cpu = med("go-http", "rps"), med("go-http", "server_cpu_us_per_request")
        for peer in peers:
            name = peer["name"]
            rps, p99, cpu = med(name, "rps"), med(name, "p99_us"), med(name, "server_cpu_us_per_request")
            if rps is None:
                errs = [r.get("error") for r in results.get((name, size), [])]
                print(f"| {name} | failed: {errs[0] if errs else '?'} | | | | |")
                continue
            summary[f"{name}/{size}"] = {"rps": rps, "p99_us": p99, "cpu_us_per_request": cpu}
            ratio = f"{rps / go_rps:.2f}x" if go_rps else "-"
            cpu_ratio = f"{cpu / go_cpu:.2f}x" if go_cpu and cpu else "-"
            print(f"| {name} | {rps:,.0f} | {p99 / 1000:.2f} ms | {cpu:.1f} us | {ratio} | {cpu_ratio} |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
