"""`ftrace convert` on big-trace features, through the real CLI: filters (window, process and
thread selection, --min-duration, --max-depth), merging several trace directories, the
single-member gzip output and the quiet progress bar when stderr is not a terminal."""
import json
import shutil
import zlib
from pathlib import Path

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid, run

PROGRAM = HERE / "programs" / "phases_prog.py"


@pytest.fixture(scope="module")
def rec(ftrace_module):
    ft = ftrace_module
    prog_dir = ft.workdir / "app"
    prog_dir.mkdir()
    prog = prog_dir / "phases_prog.py"
    shutil.copy(PROGRAM, prog)
    r = ft.record(prog, ["expected.json"], out=ft.workdir / "phases.dir")
    r.expected = json.loads((prog_dir / "expected.json").read_text())
    return r


def convert(ft, trace, name, *extra, check=True):
    out = ft.workdir / name
    r = ft.convert(trace, out, check=check, extra=list(extra))
    return (pv.load_profile(str(out)) if check else None), r


def main_thread(p):
    return pv._thread(p, "MainThread")


def call_times(p, thread, name):
    """Start times (integer ns) of the calls of `name` (a sample pushing it onto its parent's
    stack). Times are sums of deltas: rounding to ns drops float summation noise."""
    t = pv._thread(p, thread)
    times = pv.sample_times(t)
    out, prev = [], None
    for i, s in enumerate(t["samples"]["stack"]):
        if s is not None and pv.stack_parent(p, s) == prev and pv.func_name(p, pv.stack_func(p, s)) == name:
            out.append(round(times[i] * 1e6))
        prev = s
    return out


def inclusive_ms(p, thread, name):
    """Time of samples whose stack holds `name`: the function's inclusive time."""
    t = pv._thread(p, thread)
    s = t["samples"]
    return sum(w for st, w in zip(s["stack"], s["weight"])
               if st is not None and name in pv.stack_names(p, st))


def test_no_filter_matches_the_ground_truth(ftrace_module, rec):
    p, _ = convert(ftrace_module, rec.trace_dir, "all.json")
    assert_valid(p)
    counts = pv.call_counts(p, "MainThread")
    for name, n in rec.expected["main"].items():
        assert counts[name] == n, name
    assert pv.call_counts(p, "Helper")["helper_work"] == rec.expected["helper"]["helper_work"]


def test_min_duration_drops_short_calls_and_keeps_exact_times(ftrace_module, rec):
    full, _ = convert(ftrace_module, rec.trace_dir, "full.json")
    p, _ = convert(ftrace_module, rec.trace_dir, "min.json", "--min-duration", "5ms")
    assert_valid(p)
    counts = pv.call_counts(p, "MainThread")
    # The 20 ms and 300 ms calls stay, with their exact start times; microsecond calls go.
    for name in ("slow_a", "slow_b", "pause"):
        assert counts[name] == rec.expected["main"][name], name
        assert call_times(p, "MainThread", name) == call_times(full, "MainThread", name), name
    assert counts["quick"] == 0 and counts["nested"] == 0
    # Their time went to the callers: kept functions' inclusive times are unchanged.
    for name in ("main", "slow_a", "slow_b", "pause"):
        assert inclusive_ms(p, "MainThread", name) == pytest.approx(inclusive_ms(full, "MainThread", name), abs=1e-6)
    assert len(main_thread(p)["samples"]["stack"]) < len(main_thread(full)["samples"]["stack"])


def test_max_depth_keeps_only_shallow_frames(ftrace_module, rec):
    full, _ = convert(ftrace_module, rec.trace_dir, "full2.json")
    p, _ = convert(ftrace_module, rec.trace_dir, "depth.json", "--max-depth", "2")
    assert_valid(p)
    for t in p["threads"]:
        for s in t["samples"]["stack"]:
            assert s is None or len(pv.stack_names(p, s)) <= 2
    assert inclusive_ms(p, "MainThread", "main") == pytest.approx(inclusive_ms(full, "MainThread", "main"), abs=1e-6)


def test_thread_and_process_selection(ftrace_module, rec):
    p, _ = convert(ftrace_module, rec.trace_dir, "helper.json", "--thread", "Helper")
    assert pv.thread_names(p) == ["Helper"]
    assert pv.call_counts(p, "Helper")["helper_work"] == rec.expected["helper"]["helper_work"]
    p, _ = convert(ftrace_module, rec.trace_dir, "pid.json", "--pid", str(rec.expected["pid"]))
    assert sorted(pv.thread_names(p)) == ["Helper", "MainThread"]
    _, r = convert(ftrace_module, rec.trace_dir, "none.json", "--process", "no-such-program", check=False)
    assert r.returncode == 1
    assert "no thread is left after the filters" in r.err and "ftrace info" in r.err
    assert not (ftrace_module.workdir / "none.json").exists()
    _, r = convert(ftrace_module, rec.trace_dir, "bad.json", "--start", "soon", check=False)
    assert r.returncode == 2 and "--start soon: not a duration" in r.err


def test_window_keeps_phase_b_with_its_exact_times(ftrace_module, rec):
    full, _ = convert(ftrace_module, rec.trace_dir, "full3.json")
    b_starts = call_times(full, "MainThread", "slow_b")
    pause_start = call_times(full, "MainThread", "pause")[0]
    # From inside the pause to the end: phase A is gone, phase B is whole.
    start_ms = (pause_start + 100_000_000) / 1e6
    p, _ = convert(ftrace_module, rec.trace_dir, "window.json", "--start", f"{start_ms}ms")
    assert_valid(p)
    assert pv.thread_names(p) == ["MainThread"]  # Helper ended before the window
    counts = pv.call_counts(p, "MainThread")
    assert counts["slow_a"] == 0 and counts["quick"] == 0
    assert counts["slow_b"] == rec.expected["main"]["slow_b"]
    assert counts["nested"] == rec.expected["main"]["nested"]
    assert call_times(p, "MainThread", "slow_b") == b_starts
    times = pv.sample_times(main_thread(p))
    assert times[0] == pytest.approx(start_ms, abs=1e-6)  # the open `pause` call, cut at the start
    assert pv.stack_names(p, main_thread(p)["samples"]["stack"][0])[-2:] == ["pause", "time.sleep"]
    assert p["meta"]["profilingStartTime"] == pytest.approx(start_ms, abs=1e-6)
    # Up to just before phase B: only the pause.
    p, _ = convert(ftrace_module, rec.trace_dir, "window2.json", "--start", f"{start_ms}ms",
                   "--end", f"{(b_starts[0] - 1_000_000) / 1e6}ms")
    assert pv.call_counts(p, "MainThread")["slow_b"] == 0
    assert pv.sample_times(main_thread(p))[-1] == pytest.approx((b_starts[0] - 1_000_000) / 1e6, abs=1e-6)


def test_gzip_output_is_one_member_and_equals_the_plain_json(ftrace_module, rec):
    convert(ftrace_module, rec.trace_dir, "same.json")
    gz = ftrace_module.workdir / "same.json.gz"
    r = ftrace_module.convert(rec.trace_dir, gz)
    data = gz.read_bytes()
    d = zlib.decompressobj(wbits=31)  # exactly one gzip member, CRC and size checked
    text = d.decompress(data) + d.flush()
    assert d.eof and d.unused_data == b"", "the browser's DecompressionStream reads one member only"
    assert text == (ftrace_module.workdir / "same.json").read_bytes()
    # Not a terminal: no progress bar, no carriage returns.
    assert "\r" not in r.err and "converting" not in r.err


def test_merging_two_recordings_on_one_timeline(ftrace_module, rec):
    ft = ftrace_module
    prog = rec.program_dir / "phases_prog.py"
    second = ft.record(prog, ["expected2.json"], out=ft.workdir / "second.dir")
    out = ft.workdir / "merged.json"
    r = run([ft.binary, "convert", "-o", out, rec.trace_dir, second.trace_dir], cwd=ft.workdir)
    assert r.returncode == 0, r.describe()
    p = pv.load_profile(str(out))
    assert_valid(p)
    procs = pv.processes(p)
    assert len(procs) == 2
    first, later = p["threads"][0], [t for t in p["threads"] if t["pid"] != p["threads"][0]["pid"]][0]
    # Recorded one after the other: the second recording starts after the first one ends.
    assert pv.sample_times(later)[0] > pv.sample_times(first)[-1]
    # One host: no host label.
    assert first["processName"].startswith("python3 ") and later["processName"].startswith("python3 ")
