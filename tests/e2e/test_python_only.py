"""`ftrace record --python-only`: Python frames only, with exact call counts (the program
counts its own calls), generators, exceptions and threads; no C function at all."""
import json
import shutil

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid

PROGRAM = HERE / "programs" / "python_only_prog.py"
# The program's own counter names -> the qualified names the profile shows.
NAMES = {"leaf": "leaf", "fib": "fib", "Box.__init__": "Box.__init__", "Box.value": "Box.value",
         "Box.bump": "Box.bump", "numbers": "numbers", "fails": "fails", "catches": "catches",
         "work": "work", "worker": "worker"}


@pytest.fixture(scope="module")
def recorded(ftrace_module):
    ft = ftrace_module
    prog_dir = ft.workdir / "pyonly"
    prog_dir.mkdir()
    prog = prog_dir / "python_only_prog.py"
    shutil.copy(PROGRAM, prog)
    out = ft.workdir / "pyonly.dir"
    from conftest import run
    r = run([ft.binary, "record", "--python-only", "-o", out, "--", ft.python, prog,
             "counts.json"], cwd=prog_dir)
    assert r.returncode == 0, r.describe()
    assert "ftrace: warning" not in r.err, r.describe()
    expected = json.loads((prog_dir / "counts.json").read_text())
    profile, _ = ft.convert_load(out, ft.workdir / "pyonly.json")
    return {"expected": expected, "profile": profile, "record": r}


def test_profile_is_valid(recorded):
    assert_valid(recorded["profile"])


def test_every_thread_recorded(recorded):
    names = pv.thread_names(recorded["profile"])
    assert sorted(names) == sorted(recorded["expected"]), names


@pytest.mark.parametrize("thread", ["MainThread", "py-only-0", "py-only-1"])
def test_exact_python_call_counts(recorded, thread):
    """Plain calls, recursion, methods, properties, __init__, generator resumes (one call
    each) and functions left by an exception: every call counted exactly once."""
    want = {NAMES[k]: v for k, v in recorded["expected"][thread].items()}
    counts = pv.call_counts(recorded["profile"], thread)
    got = {name: counts.get(name, 0) for name in want}
    assert got == want


def test_generator_resumes_nest_under_consumer(recorded):
    pairs = pv.caller_call_counts(recorded["profile"], "MainThread")
    # sum() is a C function, absent here: the resumes hang under work() directly.
    assert pairs[("work", "numbers")] == recorded["expected"]["MainThread"]["numbers"] == 51


def test_exception_exits_are_returns(recorded):
    """fails() always raises: each call still ends, so catches() is its only caller and the
    next call is a separate one."""
    pairs = pv.caller_call_counts(recorded["profile"], "MainThread")
    assert pairs[("catches", "fails")] == recorded["expected"]["MainThread"]["fails"] == 25


def test_no_c_functions(recorded):
    profile = recorded["profile"]
    for thread in pv.thread_names(profile):
        counts = pv.call_counts(profile, thread)
        for c in ("len", "str", "sum", "builtins.len", "builtins.sum", "list.append"):
            assert counts.get(c, 0) == 0, f"C function {c} recorded on {thread}"
    funcs = pv.functions(profile)
    assert not ({"len", "str", "sum", "builtins.len", "builtins.sum"} & set(funcs))
    c_funcs = [name for name, defs in funcs.items() if any(not d["file"] for d in defs)]
    assert c_funcs == [], f"functions without a Python file (C functions?): {c_funcs[:10]}"
