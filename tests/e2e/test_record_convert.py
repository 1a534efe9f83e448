"""record → convert → profile, checked against the counts the traced program itself made."""
import json
import shutil
from pathlib import Path

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid, split_ftrace_line

PROGRAM = HERE / "programs" / "threads_prog.py"


@pytest.fixture(scope="module")
def recorded(ftrace_module):
    """Runs threads_prog.py once untraced and once traced; converts to JSON."""
    ft = ftrace_module
    prog_dir = ft.workdir / "app"
    prog_dir.mkdir()
    prog = prog_dir / "threads_prog.py"
    shutil.copy(PROGRAM, prog)
    untraced = ft.run_untraced(prog, ["expected-untraced.json"])
    assert untraced.returncode == 0, untraced.describe()
    rec = ft.record(prog, ["expected.json"], out=ft.workdir / "threads.dir")
    rec.expected = json.loads((prog_dir / "expected.json").read_text())
    profile, conv = ft.convert_load(rec.trace_dir, ft.workdir / "threads.json")
    return {"untraced": untraced, "rec": rec, "expected": rec.expected, "profile": profile,
            "convert": conv, "prog": prog}


def test_profile_is_valid(recorded):
    assert_valid(recorded["profile"])


def test_threads_named_and_complete(recorded):
    profile, exp = recorded["profile"], recorded["expected"]
    names = pv.thread_names(profile)
    assert sorted(names) == sorted(exp["threads"]), names
    assert len(set(names)) == len(names)


def test_one_process_with_main_thread(recorded):
    profile, exp = recorded["profile"], recorded["expected"]
    procs = pv.processes(profile)
    assert len(procs) == 1, procs
    proc = procs[0]
    assert proc["pid"] == str(exp["pid"])
    assert proc["main"] == "MainThread"
    assert "threads_prog.py" in (proc["processName"] or ""), proc
    for t in profile["threads"]:
        assert t["isMainThread"] == (t["name"] == "MainThread"), t["name"]


def test_thread_ids(recorded):
    profile, exp = recorded["profile"], recorded["expected"]
    got = {t["name"]: int(t["tid"]) for t in profile["threads"]}
    want = {name: e["tid"] for name, e in exp["threads"].items()}
    assert got == want


@pytest.mark.parametrize("thread", ["alpha", "beta", "gamma", "delta", "MainThread"])
def test_python_call_counts(recorded, thread):
    profile, exp = recorded["profile"], recorded["expected"]
    want = exp["threads"][thread]["calls"]
    assert want, "program recorded no calls for this thread"
    counts = pv.call_counts(profile, thread)
    got = {name: counts.get(name, 0) for name in want}
    assert got == want


def test_functions_stay_on_their_thread(recorded):
    """A function the program ran on one thread never shows up as called on another."""
    profile, exp = recorded["profile"], recorded["expected"]
    owner = {q: t for t, e in exp["threads"].items() for q in e["calls"]}
    for t in pv.thread_names(profile):
        counts = pv.call_counts(profile, t)
        for q, o in owner.items():
            if o != t:
                assert counts.get(q, 0) == 0, f"{q} (ran on {o}) counted on {t}"


def test_back_to_back_calls_are_separate(recorded):
    """work_a is called 39 times in a row from run_alpha: every call must stay a call."""
    profile, exp = recorded["profile"], recorded["expected"]
    pairs = pv.caller_call_counts(profile, "alpha")
    assert pairs[("run_alpha", "work_a")] == exp["threads"]["alpha"]["calls"]["work_a"] == 39
    assert pairs[("work_a", "leaf_a")] == 39


def test_nested_calls_have_their_caller(recorded):
    profile, exp = recorded["profile"], recorded["expected"]
    pairs = pv.caller_call_counts(profile, "beta")
    calls = exp["threads"]["beta"]["calls"]
    assert pairs[("outer", "inner")] == calls["inner"] == 33
    assert pairs[("run_beta", "outer")] == calls["outer"] == 11


def test_recursion_depth(recorded):
    profile, exp = recorded["profile"], recorded["expected"]
    assert exp["threads"]["gamma"]["depth"]["recurse"] == 50
    assert pv.max_depth(profile, "gamma", "recurse") == 50
    paths = pv.call_paths(profile, "gamma")
    deepest = max((p for p in paths if p[-1] == "recurse"), key=len)
    assert deepest[-50:] == ("recurse",) * 50


def _c_name_ok(expected: str, actual: str) -> bool:
    # Builtins may be written with or without their module ("len" or "builtins.len").
    return actual == expected or actual == "builtins." + expected


@pytest.mark.parametrize("thread,key", [("beta", "inner|len"),
                                        ("gamma", "run_gamma|sorted"),
                                        ("delta", "napper|time.sleep"),
                                        ("delta", "Stepper.step|list.append")])
def test_c_function_calls(recorded, thread, key):
    profile, exp = recorded["profile"], recorded["expected"]
    want = exp["threads"][thread]["ccalls"][key]
    caller, cname = key.split("|")
    pairs = pv.caller_call_counts(profile, thread)
    got = {callee: n for (parent, callee), n in pairs.items()
           if parent == caller and _c_name_ok(cname, callee)}
    assert sum(got.values()) == want, (
        f"calls of {cname} from {caller}: {got}; all callees of {caller}: "
        f"{ {c: n for (p, c), n in pairs.items() if p == caller} }")
    assert len(got) == 1, got


def test_python_function_metadata(recorded):
    profile, exp = recorded["profile"], recorded["expected"]
    funcs = pv.functions(profile)
    for qualname, (filename, line) in exp["funcs"].items():
        assert qualname in funcs, f"{qualname} missing from funcTable"
        entries = funcs[qualname]
        assert any(e["file"] == filename and e["line"] == line for e in entries), \
            f"{qualname}: want {filename}:{line}, got {entries}"
        assert all(e["isJS"] is True for e in entries), entries


def test_c_function_metadata(recorded):
    funcs = pv.functions(recorded["profile"])
    for name in ("time.sleep", "list.append"):
        assert name in funcs, f"{name} missing; C-looking names: " \
            f"{sorted(n for n in funcs if '.' in n and '<' not in n)[:40]}"
        assert all(e["isJS"] is False for e in funcs[name]), funcs[name]
    lens = [e for n in ("len", "builtins.len") for e in funcs.get(n, [])]
    assert lens and all(e["isJS"] is False for e in lens)


def test_stdout_identical_to_untraced(recorded):
    assert recorded["rec"].record.stdout == recorded["untraced"].stdout


def test_stderr_identical_except_final_ftrace_line(recorded):
    rec = recorded["rec"]
    program_err, line = split_ftrace_line(rec.record.stderr)
    assert line is not None, f"no final 'ftrace:' line on stderr:\n{rec.record.err}"
    assert program_err == recorded["untraced"].stderr
    text = line.decode()
    assert text.count("\n") <= 1 and text.endswith("\n"), f"not one line: {text!r}"
    assert str(rec.trace_dir) in text or rec.trace_dir.name in text, text
    assert "ftrace convert" in text, text


def test_trace_dir_layout(recorded):
    import re
    from conftest import PROCESS_DIR_RE, THREAD_FILE_RE, thread_files
    rec, exp = recorded["rec"], recorded["expected"]
    procs = thread_files(rec.trace_dir)
    assert len(procs) == 1, f"{list(rec.trace_dir.iterdir())}"
    (pname, files), = procs.items()
    assert PROCESS_DIR_RE.match(pname).group(1) == str(exp["pid"])
    tids = sorted(int(THREAD_FILE_RE.match(f.name).group(2)) for f in files)
    assert tids == sorted(e["tid"] for e in exp["threads"].values())
    indexes = sorted(int(THREAD_FILE_RE.match(f.name).group(1)) for f in files)
    assert len(set(indexes)) == len(indexes)
    assert re.match(r"p\d+-\d+$", pname)


def test_trace_dir_permissions(recorded):
    trace_dir = recorded["rec"].trace_dir
    assert trace_dir.stat().st_mode & 0o777 == 0o700, oct(trace_dir.stat().st_mode)
    for p in trace_dir.rglob("*"):
        want = 0o700 if p.is_dir() else 0o600
        assert p.stat().st_mode & 0o777 == want, f"{p}: {oct(p.stat().st_mode)}"


def test_samples_cover_only_traced_time(recorded):
    """Every thread starts in a sample after its register time and ends with its null sample."""
    for t in recorded["profile"]["threads"]:
        times = pv.sample_times(t)
        assert len(times) > 2, t["name"]
        assert times[0] >= t["registerTime"] - 1e-6, t["name"]
        if t["unregisterTime"] is not None:
            assert times[-1] <= t["unregisterTime"] + 1e-6, t["name"]
