"""What a whole-run C trace function costs by itself on CPython 3.8-3.11 (README,
"Exceptions": what `--exceptions all` pays there to see every raised exception; run.py's
full-exc-all and python-only-exc-all modes measure it together with the recording).

    python3 tests/bench/trace_cost/measure.py ~/.pyenv/versions/3.11.7/bin/python3 ...

Builds trace_probe.c for each interpreter (gcc, the interpreter's own headers), then runs
benchmark programs untraced, with the trace function (every event), and with line events
switched off per frame (3.8-3.10); reports the child's CPU time (user + sys, median of
--runs, interleaved) relative to the untraced run. CPU time, not wall time: the machine is
shared."""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import sysconfig
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(os.path.dirname(HERE), "programs")
RUNNER = """import runpy, sys
mode, prog = sys.argv[1], sys.argv[2]
sys.argv = [prog] + sys.argv[3:]
if mode != "untraced":
    import trace_probe
    trace_probe.start(mode == "no-lines")
runpy.run_path(prog, run_name="__main__")
"""


def build(py, out_dir):
    q = [py, "-c", "import sysconfig; print(sysconfig.get_paths()['include']); "
                   "print(sysconfig.get_config_var('EXT_SUFFIX'))"]
    include, suffix = subprocess.run(q, stdout=subprocess.PIPE, check=True,
                                     universal_newlines=True).stdout.split()
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-I" + include,
                    os.path.join(HERE, "trace_probe.c"),
                    "-o", os.path.join(out_dir, "trace_probe" + suffix)], check=True)


def cpu_of(argv, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pythons", nargs="+")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", default="4")
    ap.add_argument("--programs", default="recursive_search,methods_properties,oo_sim")
    args = ap.parse_args()
    modes = ["untraced", "trace", "no-lines"]
    for py in args.pythons:
        with tempfile.TemporaryDirectory() as tmp:
            build(py, tmp)
            runner = os.path.join(tmp, "runner.py")
            with open(runner, "w") as f:
                f.write(RUNNER)
            env = dict(os.environ, PYTHONPATH=tmp)
            version = subprocess.run([py, "-c", "import platform; print(platform.python_version())"],
                                     stdout=subprocess.PIPE, universal_newlines=True).stdout.strip()
            cells = []
            for prog in args.programs.split(","):
                path = os.path.join(PROGRAMS, prog + ".py")
                t = {m: [] for m in modes}
                for r in range(args.runs):
                    for m in modes[r % 3:] + modes[:r % 3]:
                        t[m].append(cpu_of([py, runner, m, path, args.scale], env))
                base = statistics.median(t["untraced"])
                cells.append("%s %.2f s: trace x%.2f, no-lines x%.2f" % (
                    prog, base, statistics.median(t["trace"]) / base,
                    statistics.median(t["no-lines"]) / base))
            print("CPython %s | %s" % (version, " | ".join(cells)), flush=True)


if __name__ == "__main__":
    sys.exit(main())
