#!/usr/bin/env python3
"""ftrace's benchmark suite: what tracing costs, measured against the untraced run.

One command (any python3 runs this script; the traced interpreter is --python):

    python3 tests/bench/run.py                       # 5 interleaved runs of every program
    python3 tests/bench/run.py --quick               # smaller programs, 3 runs: a smoke check
    python3 tests/bench/run.py --python ~/.pyenv/versions/3.12.1/bin/python3 --ftrace build-312/bin/ftrace

For every program in programs/ and every mode (untraced, `ftrace record --python-only`,
`ftrace record` (full), a no-op setprofile hook as the reference of full mode, and cProfile),
the runs are interleaved (round after round, mode order rotating) so that load changes on a
shared machine hit every mode alike. Printed per program: the median wall time untraced and
the ratio of each mode's median to it; events per run, ns per event (extra wall time per
event), bytes per event on disk, and peak RSS of the traced process. Then the geometric mean
of the ratios over the call-heavy programs, and the recorder's RSS at two trace lengths.

Every traced run's stdout must equal the untraced run's (the programs print checksums):
a mismatch is reported and makes the script exit 1. Timing is reported, never asserted.
"""
import argparse
import math
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROGRAMS_DIR = os.path.join(HERE, "programs")

# Call-heavy programs (the targets' geometric mean) and the realistic mixed one.
CALL_HEAVY = ["oo_sim", "recursive_search", "numeric_loops", "generator_pipeline",
              "methods_properties"]
MIXED = ["mixed_app"]
MODES = ["untraced", "python-only", "full", "noop-setprofile", "cprofile"]
# Only when asked for (--modes): `--exceptions all` (every exception's marker; on 3.8-3.11 a
# trace function on every thread) with the full and the python-only recording.
EXTRA_MODES = ["full-exc-all", "python-only-exc-all"]
TOTALS_RE = re.compile(r"^totals: .*?(\d+) events, .*?$", re.M)


def resolve_python(name):
    exe = shutil.which(name) or name
    try:
        # Through shims (pyenv) to the real interpreter: a shim adds its own start-up time.
        out = subprocess.run([exe, "-c", "import sys; print(sys.executable)"],
                             stdout=subprocess.PIPE, check=True, universal_newlines=True)
        return out.stdout.strip() or exe
    except (OSError, subprocess.CalledProcessError):
        sys.exit("run.py: cannot run the interpreter %r (use --python PATH)" % name)


def run_measured(args, env, cwd):
    """Runs `args`; returns (wall seconds, exit code, stdout, peak RSS in KiB of the process
    tree: wait4 reports the max over the child and the descendants it waited for)."""
    with tempfile.TemporaryFile() as fout, tempfile.TemporaryFile() as ferr:
        t0 = time.perf_counter()
        p = subprocess.Popen(args, stdout=fout, stderr=ferr, env=env, cwd=cwd)
        _, status, usage = os.wait4(p.pid, 0)  # reaps it: Popen must not wait itself
        wall = time.perf_counter() - t0
        p.returncode = status  # keeps Popen from waiting again
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
        else (status >> 8 if status & 0x7f == 0 else -(status & 0x7f))
    return wall, code, out, err, usage.ru_maxrss


def trace_stats(ftrace, trace_dir):
    """(events, bytes of thread files) of a trace directory, events as `ftrace info` counts them."""
    info = subprocess.run([ftrace, "info", trace_dir], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    m = TOTALS_RE.search(info.stdout)
    events = int(m.group(1)) if m else 0
    size = 0
    for root, _, files in os.walk(trace_dir):
        for f in files:
            if f.endswith(".ftrace"):
                size += os.path.getsize(os.path.join(root, f))
    return events, size


def command_for(mode, py, ftrace, prog, scale, work):
    """(argv, extra environment, trace dir or None) of one run."""
    target = [py, prog, repr(scale)]
    if mode == "untraced":
        return target, {}, None
    if mode == "cprofile":
        # Every thread, as ftrace traces every thread (plain `-m cProfile` sees only the main one).
        wrapper = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cprofile_all_threads.py")
        return [py, wrapper, os.path.join(work, "cprofile.out")] + target[1:], {}, None
    trace_dir = os.path.join(work, "trace.dir")
    argv = [ftrace, "record", "-o", trace_dir]
    env = {}
    if mode.startswith("python-only"):
        argv.append("--python-only")
    if mode.endswith("-exc-all"):
        argv += ["--exceptions", "all"]
    if mode == "noop-setprofile":
        env["FTRACE_HOOK"] = "noop-setprofile"  # the recorder's benchmark reference hook
    return argv + ["--"] + target, env, trace_dir


class Result:
    def __init__(self):
        self.walls = []
        self.events = []
        self.bytes = []
        self.rss = []
        self.outs = []


def gmean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def fmt_ratio(v):
    return "–" if v is None or math.isnan(v) else "%.2f×" % v


def machine_line(py):
    model = platform.processor() or "?"
    try:
        lscpu = subprocess.run(["lscpu"], stdout=subprocess.PIPE, universal_newlines=True).stdout
        m = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
        if m:
            model = m.group(1).strip()
    except OSError:
        pass
    ver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"],
                         stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return ("machine: %s, %d cores (os.cpu_count), load average %.1f at start; CPython %s (%s)"
            % (model, os.cpu_count() or 0, load, ver, py)), ver


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="Example: python3 tests/bench/run.py --runs 7")
    ap.add_argument("--python", default="python3", help="interpreter to trace (default: python3)")
    ap.add_argument("--ftrace", default=os.path.join(REPO, "build", "bin", "ftrace"),
                    help="the ftrace binary (default: <repo>/build/bin/ftrace)")
    ap.add_argument("--runs", type=int, default=None, help="runs per program and mode (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="smaller programs and 3 runs (a smoke check, not for the README)")
    ap.add_argument("--programs", default=None,
                    help="comma-separated subset of: " + ",".join(CALL_HEAVY + MIXED))
    ap.add_argument("--modes", default=None, help="comma-separated, of: " + ",".join(MODES + EXTRA_MODES)
                    + " (default: " + ",".join(MODES) + ")")
    ap.add_argument("--scale", type=float, default=None,
                    help="program size (default 2; --quick 0.5; work grows faster than linearly "
                         "in it for some programs)")
    ap.add_argument("--no-rss-check", action="store_true",
                    help="skip the flat-memory check (RSS at two trace lengths)")
    args = ap.parse_args()

    py = resolve_python(args.python)
    ftrace = os.path.abspath(args.ftrace)
    if not os.access(ftrace, os.X_OK):
        sys.exit("run.py: no ftrace binary at %s (build it, or pass --ftrace)" % ftrace)
    runs = args.runs or (3 if args.quick else 5)
    scale = args.scale or (0.5 if args.quick else 2.0)
    programs = args.programs.split(",") if args.programs else CALL_HEAVY + MIXED
    modes = args.modes.split(",") if args.modes else list(MODES)
    if "untraced" not in modes:
        modes.insert(0, "untraced")
    for p in programs:
        if p not in CALL_HEAVY + MIXED:
            sys.exit("run.py: unknown program %r" % p)
    for m in modes:
        if m not in MODES + EXTRA_MODES:
            sys.exit("run.py: unknown mode %r" % m)

    line, version = machine_line(py)
    print(line)
    print("runs per program and mode: %d, program scale %.1f%s" % (runs, scale, " (quick)" if args.quick else ""))
    sys.stdout.flush()

    work = tempfile.mkdtemp(prefix="ftrace-bench-")
    results = {(p, m): Result() for p in programs for m in modes}
    expected = {}
    failures = []
    base_env = dict(os.environ)
    base_env.pop("FTRACE_HOOK", None)
    try:
        for r in range(runs):
            for pi, prog in enumerate(programs):
                path = os.path.join(PROGRAMS_DIR, prog + ".py")
                order = modes[(r + pi) % len(modes):] + modes[:(r + pi) % len(modes)]
                for mode in order:
                    argv, extra, trace_dir = command_for(mode, py, ftrace, path, scale, work)
                    env = dict(base_env, **extra)
                    wall, rc, out, err, rss = run_measured(argv, env, work)
                    res = results[(prog, mode)]
                    if rc != 0:
                        failures.append("%s/%s: exit %d: %s" % (prog, mode, rc,
                                                                err.decode("utf-8", "replace")[-500:]))
                    if mode == "untraced":
                        expected[prog] = out
                    res.outs.append(out)
                    res.walls.append(wall)
                    res.rss.append(rss)
                    if trace_dir is not None:
                        ev, size = trace_stats(ftrace, trace_dir)
                        res.events.append(ev)
                        res.bytes.append(size)
                        warn = [l for l in err.decode("utf-8", "replace").splitlines()
                                if l.startswith("ftrace: warning")]
                        if warn:
                            failures.append("%s/%s: %s" % (prog, mode, warn[0]))
                        shutil.rmtree(trace_dir, ignore_errors=True)
            print("  round %d/%d done" % (r + 1, runs), file=sys.stderr)
        for (prog, mode), res in results.items():
            if any(out != expected[prog] for out in res.outs):
                failures.append("%s/%s: stdout differs from the untraced run" % (prog, mode))

        report(programs, modes, results, runs)
        if not args.no_rss_check and "full" in modes:
            rss_check(py, ftrace, work, env=base_env, quick=args.quick)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print("\nFAILURES:")
        for f in failures:
            print("  " + f)
        sys.exit(1)


def report(programs, modes, results, runs):
    traced = [m for m in modes if m != "untraced"]
    head = ["program", "untraced"] + traced
    for m in ("python-only", "full"):
        if m in modes:
            head += ["%s events" % m, "ns/event", "B/event", "RSS MiB"]
    head += ["untraced RSS MiB"]
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    ratios = {m: {} for m in traced}
    for prog in programs:
        base = statistics.median(results[(prog, "untraced")].walls)
        row = [prog + ("" if prog in CALL_HEAVY else " (mixed)"), "%.3f s" % base]
        for m in traced:
            ratio = statistics.median(results[(prog, m)].walls) / base
            ratios[m][prog] = ratio
            row.append(fmt_ratio(ratio))
        for m in ("python-only", "full"):
            if m not in modes:
                continue
            res = results[(prog, m)]
            ev = statistics.median(res.events) if res.events else 0
            extra = statistics.median(res.walls) - base
            row.append("%d" % ev)
            row.append("%.0f" % (extra / ev * 1e9) if ev else "–")
            row.append("%.2f" % (statistics.median(res.bytes) / ev) if ev else "–")
            row.append("%.1f" % (max(res.rss) / 1024.0))
        row.append("%.1f" % (max(results[(prog, "untraced")].rss) / 1024.0))
        print("| " + " | ".join(row) + " |")
    heavy = [p for p in programs if p in CALL_HEAVY]
    if heavy:
        row = ["**geometric mean, call-heavy**", ""]
        for m in traced:
            row.append("**%s**" % fmt_ratio(gmean([ratios[m][p] for p in heavy])))
        print("| " + " | ".join(row) + " |")
    row = ["geometric mean, all", ""]
    for m in traced:
        row.append(fmt_ratio(gmean(list(ratios[m].values()))))
    print("| " + " | ".join(row) + " |")
    if "full" in modes and "noop-setprofile" in modes and heavy:
        full = gmean([ratios["full"][p] for p in heavy])
        noop = gmean([ratios["noop-setprofile"][p] for p in heavy])
        print("\nfull ÷ no-op setprofile hook (call-heavy geometric mean): %.2f×" % (full / noop))
    if "full" in modes and "cprofile" in modes:
        worse = [p for p in programs if ratios["full"][p] >= ratios["cprofile"][p]]
        print("full mode slower than cProfile on: %s" % (", ".join(worse) or "none"))


def rss_check(py, ftrace, work, env, quick):
    """Flat memory: the recorder's peak RSS at two trace lengths (4× apart) of one program."""
    prog = os.path.join(PROGRAMS_DIR, "generator_pipeline.py")
    scales = (0.25, 1.0) if quick else (0.5, 2.0)
    print("\nflat memory (generator_pipeline, full mode): peak RSS at two trace lengths")
    for s in scales:
        argv, extra, trace_dir = command_for("full", py, ftrace, prog, s, work)
        _, _, _, _, rss = run_measured(argv, dict(env, **extra), work)
        ev, size = trace_stats(ftrace, trace_dir)
        shutil.rmtree(trace_dir, ignore_errors=True)
        _, _, _, _, rss0 = run_measured([py, prog, repr(s)], env, work)
        print("  scale %.2f: %d events, %.1f MB on disk, peak RSS %.1f MiB traced, %.1f MiB untraced"
              % (s, ev, size / 1e6, rss / 1024.0, rss0 / 1024.0))


if __name__ == "__main__":
    main()
