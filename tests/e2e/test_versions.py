"""Per-interpreter behaviour (runs once per CPython under test, like every `ftrace` test):
each interpreter loads its own recorder build, and the control flow whose events differ most
between versions (generators, close/throw, coroutines, exceptions out of Python and C code,
qualified names) is recorded as the program itself counted it."""
import json
import shutil

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid, build_dir, split_ftrace_line

PROGRAM = HERE / "programs" / "flow_prog.py"

# Qualified names that 3.8-3.10 cannot recover (no co_qualname there; see
# record/ext/compat_qualname.h): recorded under their plain name. None left.
PLAIN_NAME_BEFORE_3_11 = set()


def recorded_name(qualname, interp):
    if interp.version[:2] < (3, 11) and qualname in PLAIN_NAME_BEFORE_3_11:
        return qualname.rsplit(".", 1)[-1]
    return qualname


@pytest.fixture(scope="module")
def flow(ftrace_module, test_interpreter):
    ft = ftrace_module
    prog_dir = ft.workdir / "flow"
    prog_dir.mkdir()
    prog = prog_dir / "flow_prog.py"
    shutil.copy(PROGRAM, prog)
    untraced = ft.run_untraced(prog, ["expected-untraced.json"])
    assert untraced.returncode == 0, untraced.describe()
    rec = ft.record(prog, ["expected.json"], out=ft.workdir / "flow.dir")
    expected = json.loads((prog_dir / "expected.json").read_text())
    profile, _ = ft.convert_load(rec.trace_dir, ft.workdir / "flow.json")
    return {"rec": rec, "untraced": untraced, "expected": expected, "profile": profile,
            "interp": test_interpreter, "ftrace": ft}


def test_interpreter_has_its_own_build(test_interpreter):
    ext = build_dir() / "python" / "ftrace" / ("_ftrace" + test_interpreter.ext_suffix)
    assert ext.is_file(), (f"no recorder built for {test_interpreter.path} "
                           f"(Python {'.'.join(map(str, test_interpreter.version))}): {ext}")


def test_recorded_by_this_interpreter(flow):
    rec, interp = flow["rec"], flow["interp"]
    assert "warning" not in rec.record.err, rec.record.describe()
    info = flow["ftrace"].info(rec.trace_dir)
    assert info.returncode == 0, info.describe()
    version = ".".join(map(str, interp.version))
    assert f"python:     {version}" in info.out, info.out


def test_flow_profile_valid(flow):
    assert_valid(flow["profile"])


def test_flow_output_identical(flow):
    rec, untraced = flow["rec"], flow["untraced"]
    assert rec.record.stdout == untraced.stdout
    program_err, line = split_ftrace_line(rec.record.stderr)
    assert line is not None and program_err == untraced.stderr, rec.record.describe()


@pytest.mark.parametrize("group", ["generators", "coroutines", "exceptions", "names"])
def test_flow_call_counts(flow, group):
    members = {
        "generators": ["consume_generators", "countdown", "throw_into_generator", "echo"],
        "coroutines": ["drive_coroutine", "top_coro", "leaf_coro", "Step.__await__"],
        "exceptions": ["exceptions", "raiser", "deep_raiser", "after_exceptions"],
        "names": ["names", "Shape.make", "Shape.area", "Shape.unit"],
    }[group]
    want = {q: flow["expected"]["calls"][q] for q in members}
    assert all(want.values()), want
    counts = pv.call_counts(flow["profile"], "MainThread")
    got = {q: counts.get(recorded_name(q, flow["interp"]), 0) for q in members}
    assert got == want


def _c_alias(name):
    # Builtins may be written with or without their module ("next" or "builtins.next").
    return (name, "builtins." + name)


def test_flow_callers(flow):
    """Who resumed or called whom: generator resumes from the loop or from inside next()/
    send()/throw()/close(), coroutine chains, C functions left by an exception, and the
    stack after all that unwinding."""
    pairs = pv.caller_call_counts(flow["profile"], "MainThread")
    want = flow["expected"]["pairs"]
    assert len(want) >= 15, want
    got = {}
    for key in want:
        caller, callee = key.split(">")
        got[key] = sum(pairs.get((a, b), 0) for a in _c_alias(caller) for b in _c_alias(callee))
    assert got == want



# Functions, lambdas, class bodies and methods defined inside functions and classes: the
# program names each by its own __qualname__ and counts its calls.
QUALNAMES_PROG = r'''
import json, sys

class Top:
    @staticmethod
    def top_static():
        return 0

    class Inner:
        def inner_method(self):
            return 1

def outer_fn(n):
    def inner_fn(i):
        return i + 1
    square = lambda x: x * x
    class Local:
        def meth(self):
            return 1

        @staticmethod
        def stat():
            return 2

        class Deeper:
            def deep(self):
                return 3
    total = 0
    for i in range(n):
        total += (inner_fn(i) + square(i) + Local().meth() + Local.stat() +
                  Local.Deeper().deep() + Top.top_static() + Top.Inner().inner_method())
    return total, {inner_fn.__qualname__: n, square.__qualname__: n, Local.meth.__qualname__: n,
                   Local.stat.__qualname__: n, Local.Deeper.deep.__qualname__: n,
                   Local.__qualname__: 1, Local.Deeper.__qualname__: 1}

counts = {Top.top_static.__qualname__: 0, Top.Inner.inner_method.__qualname__: 0}
for n in (3, 4):
    total, calls = outer_fn(n)
    for q, k in calls.items():
        counts[q] = counts.get(q, 0) + k
    counts["Top.top_static"] += n
    counts["Top.Inner.inner_method"] += n
json.dump(counts, open(sys.argv[1], "w"))
'''


def test_nested_qualified_names(ftrace):
    prog = ftrace.write_program(QUALNAMES_PROG, "qualnames_prog.py")
    rec = ftrace.record(prog, ["expected.json"])
    want = json.loads((prog.parent / "expected.json").read_text())
    assert "outer_fn.<locals>.Local.Deeper.deep" in want and len(want) == 9, want
    profile, _ = ftrace.convert_load(rec.trace_dir)
    counts = pv.call_counts(profile, "MainThread")
    assert {q: counts.get(q, 0) for q in want} == want
