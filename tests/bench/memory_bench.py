"""Cost of --memory: CPU time of an allocation-heavy and a call-heavy program, untraced, under
`ftrace record` and under `ftrace record --memory`, interleaved, median of N runs; prints the
ratios. Usage: python3 tests/bench/memory_bench.py [--runs N] [--build DIR] [--python PY]"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ALLOC = """
import time
t0 = time.process_time()
keep = []
for i in range(400000):
    d = {"a": i, "b": [i, i + 1, (i, str(i))], "c": "x" * (i % 50)}
    keep.append(d)
    if len(keep) > 2000:
        keep = keep[1000:]
print("%.4f" % (time.process_time() - t0))
"""
CALLS = """
import time
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
t0 = time.process_time()
fib(25)
print("%.4f" % (time.process_time() - t0))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "..", "build"))
    ap.add_argument("--python", default="python3")
    a = ap.parse_args()
    ftrace = os.path.join(a.build, "bin", "ftrace")
    work = tempfile.mkdtemp(prefix="ftrace-membench-")
    try:
        for name, src in (("alloc-heavy", ALLOC), ("call-heavy", CALLS)):
            prog = os.path.join(work, name + ".py")
            with open(prog, "w") as f:
                f.write(src)
            modes = {"untraced": None, "ftrace": [], "ftrace --memory": ["--memory"]}
            times = {k: [] for k in modes}
            for _ in range(a.runs):
                for k, opts in modes.items():
                    out_dir = os.path.join(work, "t.dir")
                    shutil.rmtree(out_dir, ignore_errors=True)
                    cmd = [a.python, prog] if opts is None else \
                        [ftrace, "record", "-o", out_dir, *opts, "--", a.python, prog]
                    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                    times[k].append(float(out.split()[-1]))
            m = {k: statistics.median(v) for k, v in times.items()}
            print("%-12s untraced %.3f s, ftrace %.3f s (x%.2f), ftrace --memory %.3f s "
                  "(x%.2f untraced, x%.2f ftrace)" % (
                      name, m["untraced"], m["ftrace"], m["ftrace"] / m["untraced"],
                      m["ftrace --memory"], m["ftrace --memory"] / m["untraced"],
                      m["ftrace --memory"] / m["ftrace"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
