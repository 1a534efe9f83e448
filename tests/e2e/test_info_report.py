"""`ftrace info` and `ftrace report` on real recordings: the programs compute their own ground
truth (call counts, pids, versions, durations measured around the calls) and print it as JSON."""
import json
import os
import platform

import pytest

from conftest import current_format_version, run

REPORT_PROG = r'''
import json, os, sys, threading, time

fib_calls = 0

def fib(n):
    global fib_calls
    fib_calls += 1
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def leaf():
    pass

def work(k):
    for _ in range(k):
        leaf()

def slow():
    time.sleep(0.05)

def main():
    fib(12)
    fib(6)
    threads = [threading.Thread(target=work, args=(300,), name="w-a"),
               threading.Thread(target=work, args=(700,), name="w-b")]
    for t in threads:
        t.start()
        t.join()
    t0 = time.perf_counter_ns()
    slow()
    slow_ns = time.perf_counter_ns() - t0
    print(json.dumps({"fib_calls": fib_calls, "slow_ns": slow_ns, "pid": os.getpid()}))

main()
'''


@pytest.fixture(scope="module")
def report_rec(ftrace_module):
    prog = ftrace_module.write_program(REPORT_PROG, "report_prog.py")
    rec = ftrace_module.record(prog)
    rec.expected = json.loads(rec.record.out)
    return rec


def report(ftrace, trace_dir, *args):
    r = run([ftrace.binary, "report", *args, trace_dir], cwd=ftrace.workdir)
    assert r.returncode == 0, r.describe()
    return r


def report_json(ftrace, trace_dir, *args):
    return json.loads(report(ftrace, trace_dir, "--json", "-n", "0", *args).out)


def by_name(group):
    """name -> row for names that are unique in the group (lambdas of one file may repeat);
    a function (name, kind, file, line, module) must never have two rows."""
    seen, names = set(), {}
    for f in group["functions"]:
        key = (f["name"], f["kind"], f["file"], f["line"], f["module"])
        assert key not in seen, f"two rows for one function: {f}"
        seen.add(key)
        names.setdefault(f["name"], []).append(f)
    return {n: rows[0] for n, rows in names.items() if len(rows) == 1}


def test_report_counts_every_call_exactly(ftrace_module, report_rec):
    j = report_json(ftrace_module, report_rec.trace_dir)
    assert len(j["groups"]) == 1
    g = j["groups"][0]
    f = by_name(g)
    want = report_rec.expected
    assert f["fib"]["calls"] == want["fib_calls"]
    assert f["fib"]["primitive_calls"] == 2          # fib(12) and fib(6); the rest recurse
    assert f["leaf"]["calls"] == 1000
    assert f["work"]["calls"] == 2
    assert f["main"]["calls"] == 1 and f["slow"]["calls"] == 1
    assert f["time.sleep"]["kind"] == "c" and f["time.sleep"]["module"] == "time"
    # Self times partition the time spent in calls; total >= self everywhere.
    assert sum(x["self_ns"] for x in g["functions"]) == g["in_calls_ns"]
    for x in g["functions"]:
        assert 0 <= x["self_ns"] <= x["total_ns"], x
    # Recursion counted once: fib's total is at most main's.
    assert f["fib"]["total_ns"] <= f["main"]["total_ns"]
    # slow() sleeps 50 ms; the program measured the call from outside (which includes the
    # call and return themselves), so the exact inclusive time lies between the two.
    assert 50_000_000 <= f["slow"]["total_ns"] <= want["slow_ns"] * 1.01, (f["slow"], want)
    assert f["slow"]["self_ns"] < f["slow"]["total_ns"]  # the C sleep is a callee
    assert g["unmatched_returns"] >= 0 and g["threads"] == 3


def test_report_by_thread_and_thread_filter(ftrace_module, report_rec):
    j = report_json(ftrace_module, report_rec.trace_dir, "--by-thread")
    groups = {g["thread"]: g for g in j["groups"]}
    assert set(groups) == {"MainThread", "w-a", "w-b"}
    assert by_name(groups["w-a"])["leaf"]["calls"] == 300
    assert by_name(groups["w-b"])["leaf"]["calls"] == 700
    assert "leaf" not in by_name(groups["MainThread"])
    assert all(g["pid"] == report_rec.expected["pid"] for g in j["groups"])

    only = report_json(ftrace_module, report_rec.trace_dir, "--thread", "w-b")
    g = only["groups"][0]
    assert g["threads"] == 1
    assert {f["name"] for f in g["functions"]} >= {"work", "leaf"}
    assert "fib" not in by_name(g)

    pid = str(report_rec.expected["pid"])
    assert report_json(ftrace_module, report_rec.trace_dir, "--pid", pid)["groups"][0]["threads"] == 3
    r = run([ftrace_module.binary, "report", "--pid", "1", report_rec.trace_dir], cwd=ftrace_module.workdir)
    assert r.returncode == 1 and "no thread matches" in r.err, r.describe()


def test_report_sort_and_limit(ftrace_module, report_rec):
    j = report_json(ftrace_module, report_rec.trace_dir, "--sort", "calls")
    fs = j["groups"][0]["functions"]
    calls = [f["calls"] for f in fs]
    assert calls == sorted(calls, reverse=True)
    # The program's own counts: leaf 300 + 700 times, fib fib_calls (fewer) times. Interpreter
    # start-up may call some builtins more often than either, so the top row is not assumed.
    want = {"leaf": 300 + 700, "fib": report_rec.expected["fib_calls"]}
    assert want["fib"] < want["leaf"]
    names = [f["name"] for f in fs]
    assert {n: fs[names.index(n)]["calls"] for n in want} == want
    assert names.index("leaf") < names.index("fib")
    assert calls[0] >= want["leaf"]
    for key, field in (("self", "self_ns"), ("total", "total_ns")):
        fs = report_json(ftrace_module, report_rec.trace_dir, "--sort", key)["groups"][0]["functions"]
        vals = [f[field] for f in fs]
        assert vals == sorted(vals, reverse=True), key
    top3 = json.loads(report(ftrace_module, report_rec.trace_dir, "--json", "-n", "3").out)
    assert len(top3["groups"][0]["functions"]) == 3
    assert top3["groups"][0]["function_count"] > 3


def test_report_table(ftrace_module, report_rec):
    r = report(ftrace_module, report_rec.trace_dir)
    out = r.out
    assert out.startswith("ftrace report: ")
    assert "measured: exact times of all" in out and "sorted by total" in out
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["calls", "total"])
    col = lines[header].index("function")
    rows = lines[header + 1:header + 21]
    assert len(rows) == 20
    assert rows[0][col:].split()[0] in ("<module>", "main"), rows[0]
    assert any(" ms " in row for row in rows)
    assert "report_prog.py:" in out and "[C] time" in out
    assert lines[header + 21].startswith("(") and "--limit 0" in lines[header + 21]
    by_calls = report(ftrace_module, report_rec.trace_dir, "--sort", "calls").out.splitlines()
    h = next(i for i, line in enumerate(by_calls) if line.split()[:2] == ["calls", "total"])
    col = by_calls[h].index("function")
    fib_row = next(row for row in by_calls[h + 1:] if row[col:].startswith("fib "))
    assert fib_row.split()[0] == f"{report_rec.expected['fib_calls']:,}/2"
    assert "report_prog.py:6" in fib_row
    bad = run([ftrace_module.binary, "report", "--sort", "cumtime", report_rec.trace_dir])
    assert bad.returncode == 2 and "cumtime" in bad.err, bad.describe()


INFO_PROG = r'''
import json, os, platform, socket, subprocess, sys, threading

def child():
    return subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          stdout=subprocess.PIPE, check=True).stdout.decode().strip()

t = threading.Thread(target=lambda: None, name="helper")
t.start(); t.join()
pid = child()
print(json.dumps({"pid": os.getpid(), "child": int(pid), "python": platform.python_version(),
                  "host": socket.gethostname(), "argv": sys.argv}))
'''


def test_info_shows_the_process_tree_and_threads(ftrace):
    prog = ftrace.write_program(INFO_PROG, "info_prog.py")
    rec = ftrace.record(prog, args=["x", "y z"])
    want = json.loads(rec.record.out)
    r = run([ftrace.binary, "info", "--json", rec.trace_dir], cwd=ftrace.workdir)
    assert r.returncode == 0, r.describe()
    j = json.loads(r.out)
    procs = {p["pid"]: p for p in j["processes"]}
    assert set(procs) == {want["pid"], want["child"]}
    parent, child = procs[want["pid"]], procs[want["child"]]
    assert child["parent_key"] == parent["process_key"] and child["ppid"] == want["pid"]
    assert parent["children"] == [child["process_key"]] and child["parent_traced"]
    assert parent["argv"][1:] == [str(prog), "x", "y z"]
    assert parent["python_version"] == want["python"] and parent["host"] == want["host"]
    assert {t["name"] for t in parent["threads"]} == {"MainThread", "helper"}
    for p in j["processes"]:
        for t in p["threads"]:
            assert t["events"] > 0 and t["duration_ns"] >= 0 and t["bytes"] > 0 and t["clean_end"]
    assert j["totals"]["events"] == sum(t["events"] for p in j["processes"] for t in p["threads"])
    assert j["format_versions"] == [current_format_version()] and j["damage"] == []

    text = ftrace.info(rec.trace_dir)
    assert text.returncode == 0, text.describe()
    tree = text.out.split("process tree (by parent):\n")[1].split("\n\n")[0].splitlines()
    assert tree[0].startswith(f"  {want['pid']}  python3 "), tree  # argv, cut to fit a line
    assert tree[1].startswith(f"  \u2514\u2500 {want['child']}  ") and f"python {want['python']}" in tree[1]
    for needle in (f"format version: {current_format_version()}", f"on host {want['host']}", "bytes/event", "time span",
                   "helper", "damage: none found"):
        assert needle in text.out, text.describe()
