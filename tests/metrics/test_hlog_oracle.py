"""Python `hdrh` (HdrHistogram's Python port) as an independent oracle for anvil::metrics.

Forward: anvil-hlog-tool records random values and writes an interval log; hdrh decodes it and
must see the same counts, min, max and percentiles, and both must agree with the exact sorted
values. Reverse: hdrh encodes and writes a log; the tool decodes it.

hdrh picks the percentile rank as round(p/100 * n) where HdrHistogram Java and anvil use
ceil(p/100 * n); the checks below compute the ceil rank from hdrh's own decoded counts and
compare hdrh.get_value_at_percentile directly only where the two ranks coincide.
"""

import base64
import io
import json
import math
import os
import random
import subprocess
import zlib
from fractions import Fraction
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader, HistogramLogWriter

TOOL = Path(os.environ.get("ANVIL_BINARY_DIR", "build")) / "anvil-hlog-tool"
PERCENTILES = ["0", "1", "10", "50", "75", "90", "99", "99.9", "99.99", "99.999", "100"]
LOWEST, HIGHEST, DIGITS = 1, 3_600_000_000, 3


def run_tool(*args, stdin=""):
    proc = subprocess.run([str(TOOL), *args], input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def ceil_rank(p, n):
    return max(1, math.ceil(Fraction(p) * n / 100))


def hdrh_rank(p, n):
    return max(1, int(float(p) * n / 100 + 0.5))


def value_at_rank(h, rank, lowest):
    """Walks hdrh's counts array; returns the reported value for the bucket reaching `rank`."""
    total = 0
    for index in range(h.counts_len):
        total += h.get_count_at_index(index)
        if total >= rank:
            value = h.get_value_from_index(index)
            if lowest:
                return h.get_lowest_equivalent_value(value)
            return h.get_highest_equivalent_value(value)
    raise AssertionError("rank beyond count")


def distributions():
    rng = random.Random(2024)
    yield "uniform", [rng.randint(1, 1_000_000) for _ in range(20_000)]
    yield "exponential", [1 + int(rng.expovariate(1 / 2000)) for _ in range(20_000)]
    yield "bimodal", [max(1, int(rng.gauss(250_000, 20_000) if rng.random() < 0.05
                                 else rng.gauss(300, 30))) for _ in range(20_000)]
    yield "log_uniform_1_to_3600s", (
        [1, HIGHEST] + [min(HIGHEST, max(1, round(math.exp(rng.uniform(0, math.log(3.6e9))))))
                        for _ in range(20_000)])
    yield "small", [rng.randint(0, 50) for _ in range(5_001)]
    yield "single", [123_456]


def check_against(h, values, result):
    """h: hdrh histogram holding `values`; result: the tool's JSON for the same values."""
    layout = HdrHistogram(LOWEST, HIGHEST, DIGITS)  # for equivalent-value arithmetic only
    ordered = sorted(values)
    n = len(ordered)
    assert result["count"] == h.get_total_count() == n
    assert result["min"] == h.get_min_value() == layout.get_lowest_equivalent_value(ordered[0])
    assert result["max"] == h.get_max_value() == layout.get_highest_equivalent_value(ordered[-1])
    assert result["mean"] == pytest.approx(h.get_mean_value(), rel=1e-9)
    assert result["stddev"] == pytest.approx(h.get_stddev(), rel=1e-6, abs=1e-6)
    exact_mean = sum(ordered) / n
    assert result["mean"] == pytest.approx(exact_mean, rel=1e-3, abs=0.5)
    for p in PERCENTILES:
        got = result["percentiles"][p]
        lowest = Fraction(p) == 0
        assert got == value_at_rank(h, ceil_rank(p, n), lowest), p
        if ceil_rank(p, n) == hdrh_rank(p, n):
            assert got == h.get_value_at_percentile(float(p)), p
        exact = ordered[ceil_rank(p, n) - 1]
        if lowest:
            assert got == layout.get_lowest_equivalent_value(exact), p
        else:
            assert got == layout.get_highest_equivalent_value(exact), p
        assert abs(got - exact) <= exact / 1000, (p, got, exact)


@pytest.mark.parametrize("name,values", list(distributions()), ids=[d[0] for d in distributions()])
def test_hdrh_reads_what_anvil_writes(tmp_path, name, values):
    log = tmp_path / f"{name}.hlog"
    result = run_tool("record", "--log", str(log), "--intervals", "3",
                      "--percentiles", ",".join(PERCENTILES),
                      stdin="\n".join(map(str, values)))
    assert result["intervals"] == 3

    text = log.read_text()
    assert text.startswith("#[Histogram log format version 1.3]\n#[StartTime: 1700000000.000 ")
    reader = HistogramLogReader(str(log), HdrHistogram(LOWEST, HIGHEST, DIGITS))
    merged = HdrHistogram(LOWEST, HIGHEST, DIGITS)
    intervals = 0
    while True:
        interval = reader.get_next_interval_histogram()
        if interval is None:
            break
        # Relative timestamps are resolved against StartTime, as HdrHistogram defines.
        assert interval.get_start_time_stamp() == pytest.approx((1_700_000_000 + intervals) * 1000)
        # hdrh's add() takes min() of an empty histogram as 0, so empty intervals are skipped.
        if interval.get_total_count():
            merged.add(interval)
        intervals += 1
    reader.close()
    assert intervals == 3
    check_against(merged, values, result)

    # The whole-histogram encoding is byte-for-byte hdrh's: same inflated payload always, and the
    # same base64 when both sides use the same zlib.
    direct = HdrHistogram(LOWEST, HIGHEST, DIGITS)
    for v in values:
        direct.record_value(v)
    ours = base64.b64decode(result["encoded"])
    theirs = base64.b64decode(direct.encode())
    assert ours[:4] == theirs[:4] == bytes.fromhex("1c849314")
    assert zlib.decompress(ours[8:]) == zlib.decompress(theirs[8:])
    if result["zlib_version"] == zlib.ZLIB_RUNTIME_VERSION:
        assert result["encoded"] == direct.encode().decode()


@pytest.mark.parametrize("name,values", list(distributions()), ids=[d[0] for d in distributions()])
def test_anvil_reads_what_hdrh_writes(tmp_path, name, values):
    rng = random.Random(len(values))
    out = io.StringIO()
    writer = HistogramLogWriter(out)
    writer.output_log_format_version()
    writer.output_comment("written by python hdrh")
    writer.output_legend()
    whole = HdrHistogram(LOWEST, HIGHEST, DIGITS)
    chunks = 4
    size = (len(values) + chunks - 1) // chunks
    for i in range(chunks):
        interval = HdrHistogram(LOWEST, HIGHEST, DIGITS)
        for v in values[i * size:(i + 1) * size]:
            interval.record_value(v)
            whole.record_value(v)
        writer.output_interval_histogram(interval, start_time_stamp_sec=float(i),
                                         end_time_stamp_sec=float(i) + 1.0 + rng.random(),
                                         max_value_unit_ratio=1000.0)
    log = tmp_path / f"{name}.hlog"
    log.write_text(out.getvalue())

    result = run_tool("decode", "--log", str(log), "--percentiles", ",".join(PERCENTILES))
    assert result["intervals"] == chunks
    check_against(whole, values, result)
    assert result["encoded"] == whole.encode().decode()


def test_anvil_reads_tagged_lines_from_stdin():
    h = HdrHistogram(LOWEST, HIGHEST, DIGITS)
    for v in (5, 50, 500, 5000):
        h.record_value(v)
    blob = h.encode().decode()
    text = f"Tag=a,0.000,1.000,0.005,{blob}\nTag=b,1.000,1.000,0.005,{blob}\n"
    proc = subprocess.run([str(TOOL), "decode", "--percentiles", "50,100"], input=text,
                          capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(proc.stdout)
    assert result["count"] == 8
    assert result["tags"] == ["a", "b"]
    assert result["percentiles"] == {"50": 50, "100": h.get_max_value()}


def test_anvil_rejects_what_hdrh_cannot_read(tmp_path):
    log = tmp_path / "bad.hlog"
    log.write_text("0.000,1.000,0.005,HISTFAAAAB94nJNpmSzMwMDAxAABzFCaEUzOmNZg/wEi6ViQpNJxpsFG\n")
    proc = subprocess.run([str(TOOL), "decode", "--log", str(log)], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "histogram log line 1:" in proc.stderr
