#!/usr/bin/env python3
"""A minimal JSON-line load program for the lab's command driver (docs/lab-drivers.md).

Usage: json_line_driver.py URL CONNECTIONS DURATION_S
Each connection is a thread with one keep-alive http.client connection sending GETs until the
duration is over; then one JSON line goes to stdout.
"""
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def main() -> int:
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    url = urlsplit(sys.argv[1])
    connections = int(sys.argv[2])
    duration_s = float(sys.argv[3])
    lock = threading.Lock()
    totals = {"requests": 0, "successes": 0}
    errors: dict[str, int] = {}
    latencies_us: list[float] = []
    deadline = time.monotonic() + duration_s

    def run() -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
        requests = successes = 0
        local_errors: dict[str, int] = {}
        local_latencies: list[float] = []
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                conn.request("GET", url.path or "/")
                response = conn.getresponse()
                response.read()
                requests += 1
                if response.status < 400:
                    successes += 1
                    local_latencies.append((time.monotonic() - start) * 1e6)
                else:
                    key = f"status_{response.status // 100}xx"
                    local_errors[key] = local_errors.get(key, 0) + 1
            except (OSError, http.client.HTTPException) as e:
                requests += 1
                key = "timeout" if isinstance(e, TimeoutError) else "read"
                local_errors[key] = local_errors.get(key, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
        conn.close()
        with lock:
            totals["requests"] += requests
            totals["successes"] += successes
            for key, n in local_errors.items():
                errors[key] = errors.get(key, 0) + n
            latencies_us.extend(local_latencies)

    started = time.monotonic()
    threads = [threading.Thread(target=run) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies_us.sort()

    def percentile(p: float) -> float:
        if not latencies_us:
            return 0.0
        return latencies_us[min(len(latencies_us) - 1, int(p / 100 * len(latencies_us)))]

    print("starting summary", flush=True)  # the driver reads only the last line
    print(json.dumps({
        "requests": totals["requests"],
        "successes": totals["successes"],
        "errors": errors,
        "duration_s": elapsed,
        "latency_us": {"p50": percentile(50), "p90": percentile(90), "p99": percentile(99),
                       "max": latencies_us[-1] if latencies_us else 0.0},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
