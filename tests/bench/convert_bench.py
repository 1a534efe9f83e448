#!/usr/bin/env python3
"""Conversion benchmark: how fast `ftrace convert` turns big traces into profiles, in how
much memory, against the floor of gzipping the same JSON.

    python3 tests/bench/convert_bench.py                  # 10M-event synthetic + a recorded trace
    python3 tests/bench/convert_bench.py --events 3000000 --scale 1
    python3 tests/bench/convert_bench.py --no-synthetic --no-real --trace test_json.dir   # existing traces

Traces: a synthetic one written by ftrace-synth-trace (built on demand; EVENTS events in
PROCESSES x THREADS thread files) and a real one recorded with `ftrace record` from
tests/bench/programs/mixed_app.py (threads, JSON, regexes, files).

Per trace, each run in a fresh process (peak RSS from wait4):
  - to .json.gz: wall time, CPU time, events/s (wall, and per CPU-second), peak RSS per event;
  - to .json (plain), then the floor: `gzip -6` and `gzip -1` of that JSON, so
    "conversion / gzip" is the whole conversion's wall time over gzip's alone;
  - filtered: --end at 10% of the span, --min-duration 100us, --max-depth 8, --thread MainThread:
    wall time and JSON size as fractions of the unfiltered conversion's.
Timing is reported, never asserted. The machine may be shared: CPU seconds are printed next
to wall seconds so a loaded machine can be told apart from a slow converter.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def run_measured(args, stdout=subprocess.DEVNULL):
    """Runs args; returns (wall s, cpu s, peak RSS bytes, returncode, stderr text)."""
    t0 = time.monotonic()
    p = subprocess.Popen(args, stdout=stdout, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024, p.returncode, err.decode("utf-8", "replace")


def info_events(ftrace, trace):
    out = subprocess.run([ftrace, "info", trace], capture_output=True, text=True).stdout
    m = re.search(r"^totals: .*?(\d+) events", out, re.M)
    span = re.search(r"time span ([\d.]+) ms", out)
    return int(m.group(1)), float(span.group(1)) if span else 0.0


def fmt_rate(n, s):
    return f"{n / s / 1e6:6.2f} M/s" if s > 0 else "-"


def bench_trace(label, trace, ftrace, work, jobs):
    events, span_ms = info_events(ftrace, trace)
    print(f"\n== {label}: {events:,} events, {span_ms / 1e3:.2f} s traced, "
          f"{sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(trace) for f in fs) / 1e6:.1f} MB on disk")
    extra = ["-q"] + (["-j", str(jobs)] if jobs else [])
    gz = os.path.join(work, "out.json.gz")
    plain = os.path.join(work, "out.json")
    res = {"events": events}

    w, c, rss, rc, err = run_measured([ftrace, "convert", *extra, "-o", gz, trace])
    if rc != 0:
        sys.exit(f"convert failed: {err}")
    res.update(gz_wall=w, gz_cpu=c, gz_rss=rss, gz_bytes=os.path.getsize(gz))
    print(f"to .json.gz : {w:6.2f} s wall ({fmt_rate(events, w)}), {c:6.2f} s CPU ({fmt_rate(events, c)} per CPU-s), "
          f"peak RSS {rss / 1e6:.0f} MB = {rss / events:.1f} B/event, {res['gz_bytes'] / 1e6:.1f} MB")

    w, c, rss, rc, err = run_measured([ftrace, "convert", *extra, "-o", plain, trace])
    res.update(json_wall=w, json_cpu=c, json_rss=rss, json_bytes=os.path.getsize(plain))
    print(f"to .json    : {w:6.2f} s wall ({fmt_rate(events, w)}), {c:6.2f} s CPU, peak RSS {rss / 1e6:.0f} MB, "
          f"{res['json_bytes'] / 1e6:.1f} MB of JSON ({res['json_bytes'] / events:.1f} B/event)")

    for level in ("-6", "-1"):
        gzout = os.path.join(work, "floor.gz")
        with open(gzout, "wb") as sink:
            w, c, _, _, _ = run_measured(["gzip", level, "-c", plain], stdout=sink)
        res[f"gzip{level}"] = w
        size = os.path.getsize(gzout)
        os.remove(gzout)
        print(f"gzip {level} of that JSON (the floor): {w:6.2f} s wall, {c:6.2f} s CPU, {size / 1e6:.1f} MB -> "
              f"conversion to .json.gz / gzip {level} = {res['gz_wall'] / w:.2f} (wall), {res['gz_cpu'] / c:.2f} (CPU); "
              f".json.gz size / gzip {level} size = {res['gz_bytes'] / size:.2f}")

    filters = [("--end 10% of the span", ["--end", f"{span_ms * 0.1:.3f}ms"]),
               ("--min-duration 100us", ["--min-duration", "100us"]),
               ("--max-depth 8", ["--max-depth", "8"]),
               ("--thread MainThread", ["--thread", "MainThread"])]
    for name, args in filters:
        out = os.path.join(work, "filtered.json")
        w, c, rss, rc, err = run_measured([ftrace, "convert", *extra, *args, "-o", out, trace])
        if rc != 0:
            print(f"{name:24}: failed: {err.strip()}")
            continue
        size = os.path.getsize(out)
        print(f"{name:24}: {w:6.2f} s wall = {w / res['json_wall']:.2f} of unfiltered, {c:6.2f} s CPU = "
              f"{c / res['json_cpu']:.2f}, keeps {size / res['json_bytes']:.2f} of the JSON")
        os.remove(out)
    for f in (gz, plain):
        os.remove(f)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build directory (default: build)")
    ap.add_argument("--events", type=int, default=10_000_000, help="synthetic trace events (default 10M)")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="threads per process")
    ap.add_argument("--fanout", type=int, default=4, help="synthetic call tree fan-out (0: every stack new)")
    ap.add_argument("--scale", type=float, default=3.0, help="mixed_app.py scale for the recorded trace")
    ap.add_argument("--python", default="python3", help="interpreter to record")
    ap.add_argument("--jobs", type=int, default=0, help="converter worker threads (default: all cores)")
    ap.add_argument("--no-real", action="store_true", help="skip the recorded trace")
    ap.add_argument("--no-synthetic", action="store_true", help="skip the synthetic trace")
    ap.add_argument("--trace", action="append", default=[], metavar="DIR",
                    help="also measure this existing trace directory (repeatable)")
    args = ap.parse_args()

    ftrace = os.path.join(args.build, "bin", "ftrace")
    synth = os.path.join(args.build, "bin", "ftrace-synth-trace")
    if not os.path.exists(synth) and not args.no_synthetic:
        subprocess.run(["cmake", "--build", args.build, "--target", "ftrace-synth-trace"], check=True)
    print(f"cores: {os.cpu_count()}, load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="ftrace-convert-bench-") as work:
        if not args.no_synthetic:
            trace = os.path.join(work, "synthetic.dir")
            subprocess.run([synth, trace, str(args.events), str(args.processes), str(args.threads),
                            str(args.fanout)], check=True, stdout=subprocess.DEVNULL)
            bench_trace(f"synthetic ({args.processes} processes x {args.threads} threads, fan-out {args.fanout})",
                        trace, ftrace, work, args.jobs)
            shutil.rmtree(trace)
        if not args.no_real:
            real = os.path.join(work, "real.dir")
            prog = os.path.join(HERE, "programs", "mixed_app.py")
            r = subprocess.run([ftrace, "record", "-o", real, "--", args.python, prog, str(args.scale)],
                               capture_output=True, text=True, cwd=work)
            if r.returncode != 0:
                sys.exit(f"record failed: {r.stderr}")
            bench_trace(f"recorded (mixed_app.py {args.scale})", real, ftrace, work, args.jobs)
        for t in args.trace:
            bench_trace(f"existing trace {t}", t, ftrace, work, args.jobs)
    print(f"\nload average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
