"""Rough throughput of each installed peer with wrk over loopback (figures in README.md).

The server is pinned to one core and wrk to the other (2-core machine):
    taskset -c 1 <peer>    taskset -c 0 wrk -t1 -c64 -d5s http://127.0.0.1:PORT/
and, for PUT, the same wrk with -s peers/wrk/put.lua (4-byte body). Prints a Markdown table.

Usage: .venv/bin/python peers/bench.py [--duration 5s] [--connections 64] [name ...]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import launch

PUT_LUA = Path(__file__).resolve().parent / "wrk" / "put.lua"


def wrk(url: str, duration: str, connections: int, script: Path | None) -> dict:
    argv = ["taskset", "-c", "0", "wrk", "-t1", f"-c{connections}", f"-d{duration}"]
    if script:
        argv += ["-s", str(script)]
    out = subprocess.run(argv + [url], capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = re.search(r"Latency\s+([\d.]+\w+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "latency": lat.group(1) if lat else "?",
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "",
    }


def cell(result: dict | None) -> str:
    if result is None:
        return "n/a"
    text = f"{result['rps']:,.0f} ({result['latency']})"
    if result["non2xx"]:
        text += f" {result['non2xx']} non-2xx"
    # wrk prints "connect 0, read 0, write 0, timeout 5"; keep the non-zero kinds.
    errors = [e.strip() for e in result["errors"].split(",") if not e.strip().endswith(" 0")]
    if any(errors):
        text += f" [{', '.join(errors)}]"
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", default="5s")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()

    print("| peer | GET / req/s (avg latency) | PUT 4 B req/s (avg latency) |")
    print("|---|---|---|")
    for peer in launch.load_peers():
        if args.names and peer["name"] not in args.names:
            continue
        why = launch.missing(peer)
        if why:
            print(f"| {peer['name']} | skipped: {why} | |")
            continue
        running = launch.start(peer, prefix=["taskset", "-c", "1"])
        try:
            get = None
            if peer["get"] == "hello":
                get = wrk(running.base_url + "/", args.duration, args.connections, None)
            put_path = "/" if peer["put_root"] else "/bucket/obj"
            put = wrk(running.base_url + put_path, args.duration, args.connections, PUT_LUA)
        finally:
            launch.stop(running)
        print(f"| {peer['name']} | {cell(get)} | {cell(put)} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
