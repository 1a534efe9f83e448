"""--memory end to end: the program allocates known large buffers, keeps them, frees them,
and reports their exact sizes; the profile must show exactly those LargeAlloc markers and a
Memory counter that rises and falls by those bytes."""
import json
import os
import shutil

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid, run

PROGRAM = HERE / "programs" / "memory_prog.py"
MiB = 1 << 20
# Besides the three buffers (18 MiB), the program allocates between two phase markers only a
# list of three pointers, the marker calls' keyword dicts and short-lived ints: a few KiB.
# 64 KiB bounds that with room, and is still 0.3 % of what is measured.
TOLERANCE = 64 * 1024


def phase_times(profile):
    """step -> time of the program's ftrace.marker("phase", step=...)."""
    out = {}
    for t in profile["threads"]:
        m = t["markers"]
        for i in range(m["length"]):
            d = m["data"][i]
            if isinstance(d, dict) and d.get("type") == "User" and "step" in d:
                out[d["step"]] = m["startTime"][i]
    return out


def memory_counter(profile):
    cs = [c for c in profile.get("counters", []) if c["name"] == "Memory"]
    assert len(cs) == 1, profile.get("counters")
    return cs[0]


def accumulated_at(counter, t):
    """Counter value (sum of count deltas) over samples at or before time t."""
    s = counter["samples"]
    time, total = 0.0, 0
    for dt, c in zip(s["timeDeltas"], s["count"]):
        time += dt
        if time > t + 1e-9:
            break
        total += c
    return total


def large_allocs(profile):
    return [d["bytes"] for t in profile["threads"]
            for d in pv.marker_data(profile, t, "LargeAlloc")]


def record_program(ft, name, options=(), args=()):
    d = ft.workdir / name
    d.mkdir()
    prog = d / "memory_prog.py"
    shutil.copy(PROGRAM, prog)
    rec = ft.record(prog, ["expected.json", *args], out=ft.workdir / f"{name}.dir",
                    options=options)
    exp = json.loads((d / "expected.json").read_text())
    profile, _ = ft.convert_load(rec.trace_dir, ft.workdir / f"{name}.json")
    return rec, exp, profile


@pytest.fixture(scope="module")
def with_memory(ftrace_module):
    return record_program(ftrace_module, "mem", options=["--memory"])


def test_profile_valid_with_memory_counter(with_memory):
    _, _, profile = with_memory
    assert_valid(profile)
    c = memory_counter(profile)
    assert c["display"]["graphType"] == "line-accumulated" and c["display"]["unit"] == "bytes"
    assert c["pid"] == profile["threads"][0]["pid"]
    assert c["samples"]["length"] > 100  # every allocation of the run, not just the buffers


def test_large_alloc_markers_exact(with_memory):
    _, exp, profile = with_memory
    # Exactly the three buffers (nothing else in the program reaches 1 MiB), with the sizes
    # the allocator was asked for.
    assert sorted(large_allocs(profile)) == sorted(exp["sizes"])
    assert all(s >= 5 * MiB for s in exp["sizes"])
    assert exp["stats"]["large"] == 3


def test_counter_rises_and_falls_by_the_buffers(with_memory):
    _, exp, profile = with_memory
    c = memory_counter(profile)
    t = phase_times(profile)
    before = accumulated_at(c, t["before"])
    allocated = accumulated_at(c, t["allocated"])
    freed = accumulated_at(c, t["freed"])
    total = sum(exp["sizes"])
    assert abs((allocated - before) - total) <= TOLERANCE, (allocated - before, total)
    assert abs((allocated - freed) - total) <= TOLERANCE, (allocated - freed, total)


def test_counter_matches_recorder_accounting(with_memory):
    _, exp, profile = with_memory
    st = exp["stats"]
    assert st["installed"] and st["threshold"] == MiB
    assert st["lost_events"] == 0 and st["untracked"] == 0
    # Allocations and frees seen in the profile: each realloc of a tracked block is two
    # operations (free + alloc), so the counter has at least allocs + frees operations by
    # the time the program read its stats (it allocates a little more afterwards).
    ops = sum(memory_counter(profile)["samples"]["number"])
    assert ops >= st["allocs"] + st["frees"]


def test_without_memory_no_counter(ftrace):
    rec, exp, profile = record_program(ftrace, "plain")
    assert_valid(profile)
    assert "counters" not in profile or profile["counters"] == []
    assert large_allocs(profile) == []
    assert "stats" in exp and not exp["stats"]["installed"] and exp["stats"]["allocs"] == 0
    info = ftrace.info(rec.trace_dir)
    assert info.returncode == 0, info.describe()


def test_threshold_option(ftrace):
    # 6 MiB + 1: only the 7 MiB buffer (and not the 5 and 6 MiB ones) is large
    _, exp, profile = record_program(ftrace, "thr", options=["--memory", "--memory-threshold",
                                                             str(6 * MiB + 2)])
    assert_valid(profile)
    assert large_allocs(profile) == [s for s in exp["sizes"] if s >= 6 * MiB + 2]
    assert len(large_allocs(profile)) == 1


def test_threshold_option_errors(ftrace, test_python):
    prog = ftrace.write_program("print('hi')\n")
    for opts, msg in ((["--memory-threshold", "1M"], "needs --memory"),
                      (["--memory", "--memory-threshold", "lots"], "is not a size")):
        r = run([ftrace.binary, "record", "-o", ftrace.workdir / "x.dir", *opts, "--",
                 test_python, prog])
        assert r.returncode == 2 and msg in r.err, r.describe()
        assert not (ftrace.workdir / "x.dir").exists()


def test_sizes_above_4gib(ftrace):
    # bytes(n) is calloc'd: the pages are never touched, so this costs no real memory.
    probe = ftrace.write_program("b = bytes((4 << 30) + (3 << 20))\n", "probe.py")
    if ftrace.run_untraced(probe).returncode != 0:
        pytest.skip("this machine cannot reserve 4 GiB of address space")
    _, exp, profile = record_program(ftrace, "huge", options=["--memory"], args=["huge"])
    assert_valid(profile)
    assert sorted(large_allocs(profile)) == sorted(exp["sizes"] + [exp["huge"]])
    c = memory_counter(profile)
    t = phase_times(profile)
    rise = accumulated_at(c, t["huge"]) - accumulated_at(c, t["freed"])
    fall = accumulated_at(c, t["huge"]) - accumulated_at(c, t["huge-freed"])
    assert abs(rise - exp["huge"]) <= TOLERANCE and abs(fall - exp["huge"]) <= TOLERANCE


def test_python_m_and_api_memory(ftrace, test_python):
    prog = ftrace.write_program(
        "import sys, ftrace\n"
        "def work():\n"
        "    b = bytearray(3 << 20)\n"
        "    return len(b)\n"
        "with ftrace.trace(sys.argv[1], memory=True, memory_threshold=2 << 20):\n"
        "    work()\n", "api_prog.py")
    pkgroot = ftrace.binary.parent.parent / "python"
    env = dict(os.environ, PYTHONPATH=str(pkgroot))
    r = run([test_python, prog, ftrace.workdir / "api.dir"], cwd=ftrace.workdir, env=env)
    assert r.returncode == 0, r.describe()
    profile, _ = ftrace.convert_load(ftrace.workdir / "api.dir")
    assert_valid(profile)
    assert large_allocs(profile) == [(3 << 20) + 1]
    memory_counter(profile)

    script = ftrace.write_program("b = bytearray(3 << 20)\nprint(len(b))\n", "m_prog.py")
    r = run([test_python, "-m", "ftrace", "-o", ftrace.workdir / "m.dir", "--memory",
             "--memory-threshold", "2M", script], cwd=ftrace.workdir, env=env)
    assert r.returncode == 0 and r.out == "3145728\n", r.describe()
    profile, _ = ftrace.convert_load(ftrace.workdir / "m.dir")
    assert_valid(profile)
    assert large_allocs(profile) == [(3 << 20) + 1]



NON_ASCII_PROG = r'''
import json, sys, threading
try:
    import ftrace
except ImportError:  # untraced
    ftrace = None

def work():
    threading.current_thread().name = "wörker-✓-😀-\udcff"  # every flush reads the new name
    print("héllo ✓ 😀")
    if ftrace:
        for _ in range(3):
            ftrace.flush()  # chunk writes (and name refreshes) while --memory counts

th = threading.Thread(target=work)
th.start()
th.join()
print("main ✓")
if ftrace:
    json.dump(ftrace._ftrace.memory_stats(), open(sys.argv[1], "w"))
'''


def test_non_ascii_text_is_not_cached_in_program_strings(ftrace):
    # Thread names and printed text are encoded by the recorder itself: reading them must not
    # make CPython cache a UTF-8 copy inside the program's str objects (an allocation the
    # program never made: counted as untracked while a chunk is written).
    prog = ftrace.write_program(NON_ASCII_PROG)
    rec = ftrace.record(prog, ["stats.json"], options=["--memory"])
    plain = ftrace.run_untraced(prog, ["plain.json"])
    assert rec.record.stdout == plain.stdout, rec.record.describe()
    st = json.loads((prog.parent / "stats.json").read_text())
    assert st["installed"] and st["untracked"] == 0 and st["lost_events"] == 0, st
    profile, _ = ftrace.convert_load(rec.trace_dir)
    assert_valid(profile)
    names = [t["name"] for t in profile["threads"]]
    assert "wörker-✓-😀-?" in names, names  # a lone surrogate has no UTF-8 form
    texts = [d["text"] for t in profile["threads"] for d in t["markers"]["data"]
             if isinstance(d, dict) and d.get("type") == "Print"]
    assert sorted(texts) == ["héllo ✓ 😀", "main ✓"], texts
