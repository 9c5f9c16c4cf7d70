#!/usr/bin/env python3
"""A small JSON-line load program for the lab's `command` driver (docs/lab-drivers.md).

Each connection is a thread with one keep-alive http.client connection sending the request
until the duration is over (after an optional warm-up that is not counted); then one JSON line
goes to stdout: requests, successes, errors by class, duration_s, latency_us and, when the
`hdrh` package is importable, latency_histogram (HdrHistogram V2, base64, microseconds).
"""
import argparse
import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit

try:
    from hdrh.histogram import HdrHistogram
except ImportError:  # latency_us percentiles only
    HdrHistogram = None


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True)
    p.add_argument("--method", default="GET")
    p.add_argument("--body-file", default="")
    p.add_argument("--connections", type=int, default=1)
    p.add_argument("--duration", type=float, required=True, help="seconds")
    p.add_argument("--warmup", type=float, default=0.0, help="seconds, not counted")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    args = p.parse_args()
    if args.connections < 1 or args.duration <= 0 or args.warmup < 0:
        p.error("need --connections >= 1, --duration > 0, --warmup >= 0")
    return args


def main() -> int:
    args = parse_args()
    url = urlsplit(args.url)
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    body = open(args.body_file, "rb").read() if args.body_file else None
    lock = threading.Lock()
    totals = {"requests": 0, "successes": 0}
    errors: dict[str, int] = {}
    latencies_us: list[int] = []
    measure_from = time.monotonic() + args.warmup
    deadline = measure_from + args.duration

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(url.hostname, url.port, timeout=args.timeout)

    def run() -> None:
        conn = connect()
        requests = successes = 0
        local_errors: dict[str, int] = {}
        local_latencies: list[int] = []
        while (start := time.monotonic()) < deadline:
            counted = start >= measure_from
            error = None
            try:
                conn.request(args.method, path, body=body)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    error = f"status_{response.status // 100}xx"
            except TimeoutError:
                error = "timeout"
            except ConnectionRefusedError:
                error = "connect"
            except (OSError, http.client.HTTPException):
                error = "read"
            if error in ("timeout", "connect", "read"):
                conn.close()
                conn = connect()
                if error == "connect":
                    time.sleep(0.01)  # a refusing server costs a bounded number of attempts
            if not counted:
                continue
            requests += 1
            if error is None:
                successes += 1
                local_latencies.append(max(1, round((time.monotonic() - start) * 1e6)))
            else:
                local_errors[error] = local_errors.get(error, 0) + 1
        conn.close()
        with lock:
            totals["requests"] += requests
            totals["successes"] += successes
            for key, n in local_errors.items():
                errors[key] = errors.get(key, 0) + n
            latencies_us.extend(local_latencies)

    threads = [threading.Thread(target=run) for _ in range(args.connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    duration_s = max(time.monotonic(), deadline) - measure_from
    latencies_us.sort()

    def percentile(p: float) -> int:
        if not latencies_us:
            return 0
        rank = max(1, -(-len(latencies_us) * p // 100))  # ceil, as HdrHistogram
        return latencies_us[int(rank) - 1]

    result = {
        "requests": totals["requests"],
        "successes": totals["successes"],
        "errors": errors,
        "duration_s": duration_s,
        "latency_us": {"p50": percentile(50), "p90": percentile(90), "p95": percentile(95),
                       "p99": percentile(99), "p99_9": percentile(99.9),
                       "max": latencies_us[-1] if latencies_us else 0},
    }
    if HdrHistogram is not None:
        histogram = HdrHistogram(1, 3_600_000_000, 3)
        for value in latencies_us:
            histogram.record_value(value)
        result["latency_histogram"] = histogram.encode().decode("ascii")
    print("done", flush=True)  # only the last line counts
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
