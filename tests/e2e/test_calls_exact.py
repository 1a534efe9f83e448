"""Exact call counts for generators, coroutines, exception unwinding, lambdas, nested
functions, class and module bodies, deep recursion, C functions; daemon threads at exit."""
import json
import shutil

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid

PROGRAM = HERE / "programs" / "calls_prog.py"


@pytest.fixture(scope="module")
def recorded(ftrace_module):
    ft = ftrace_module
    d = ft.workdir / "calls"
    d.mkdir()
    prog = d / "calls_prog.py"
    shutil.copy(PROGRAM, prog)
    rec = ft.record(prog, ["exp.json"], out=ft.workdir / "calls.dir")
    exp = json.loads((d / "exp.json").read_text())
    profile, _ = ft.convert_load(rec.trace_dir, ft.workdir / "calls.json")
    return {"exp": exp, "profile": profile, "counts": pv.call_counts(profile, "MainThread")}


def test_valid(recorded):
    assert_valid(recorded["profile"])


def test_generator_resumes_are_calls(recorded):
    assert recorded["exp"]["gen_items"] == 5
    assert recorded["counts"]["count_up"] == 5 + 1  # first call + 5 resumes (the 6th ends it)


def test_coroutines_under_asyncio(recorded):
    c = recorded["counts"]
    assert recorded["exp"]["async_results"] == [0, 1, 2, 3]
    # each coroutine: started once, resumed once after its single suspension
    assert c["sleeper"] == 4 * 2
    assert c["amain"] >= 2


def test_return_by_exception(recorded):
    c = recorded["counts"]
    assert c["thrower"] == recorded["exp"]["thrower_calls"]
    paths = pv.call_paths(recorded["profile"], "MainThread")
    assert pv.max_depth(recorded["profile"], "MainThread", "thrower") == 5
    # unwinding closed every frame: the next top-level call is at the root again
    assert paths[("<module>", "make_adder")] == 1


def test_lambda_nested_class_module(recorded):
    c = recorded["counts"]
    paths = pv.call_paths(recorded["profile"], "MainThread")
    assert paths[("<module>", "sum", "<lambda>")] == 6  # sum(map(square, range(6)))
    assert c["make_adder.<locals>.add"] == 4
    assert c["Shape"] == 1            # class body
    assert c["<module>"] >= 1         # module body
    assert c["math.floor"] == 7       # C function with its module


def test_recursion_1000(recorded):
    assert recorded["exp"]["depth"] == 1000
    assert recorded["counts"]["recurse"] == 1000
    assert pv.max_depth(recorded["profile"], "MainThread", "recurse") == 1000


def test_daemon_thread_flushed_at_exit(recorded):
    p = recorded["profile"]
    assert "daemon-at-exit" in pv.thread_names(p)
    n = pv.call_counts(p, "daemon-at-exit")["daemon_tick"]
    assert n >= recorded["exp"]["daemon_ticks"] >= 3
