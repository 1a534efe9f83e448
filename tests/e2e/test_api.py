"""import ftrace: trace() as context manager and decorator, started inside a call stack and
with a thread already running; user markers and regions; _thread and renamed threads."""
import json
import os
import shutil

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid, run
from test_markers import markers

PROGRAM = HERE / "programs" / "api_prog.py"


def pkg_root(ftrace_bin):
    return ftrace_bin.parent.parent / "python"


@pytest.fixture(scope="module")
def recorded(ftrace_module, ftrace_bin):
    ft = ftrace_module
    d = ft.workdir / "api"
    d.mkdir()
    prog = d / "api_prog.py"
    shutil.copy(PROGRAM, prog)
    env = dict(os.environ, PYTHONPATH=str(pkg_root(ftrace_bin)))
    r = run([ft.python, prog, d / "t.dir", d / "exp.json"], cwd=d, env=env)
    assert r.returncode == 0, r.describe()
    exp = json.loads((d / "exp.json").read_text())
    profile, _ = ft.convert_load(d / "t.dir", d / "t.json")
    deco, _ = ft.convert_load(d / "t.dir.deco", d / "deco.json")
    return {"exp": exp, "profile": profile, "deco": deco, "run": r}


def test_valid(recorded):
    assert_valid(recorded["profile"])
    assert_valid(recorded["deco"])
    assert recorded["exp"]["active"] is True and recorded["exp"]["after_active"] is False


def test_enclosing_frames_shown(recorded):
    p = recorded["profile"]
    paths = pv.call_paths(p, "MainThread")
    leaf_paths = [k for k in paths if k[-1] == "leaf"]
    assert leaf_paths, paths
    # The frames open when tracing started are the callers of everything recorded.
    for k in leaf_paths:
        assert k[:3] == ("<module>", "outer", "middle"), k
    counts = pv.call_counts(p, "MainThread")
    assert counts["leaf"] == 10
    assert counts["outer"] == 1 and counts["middle"] == 1


def test_decorator(recorded):
    counts = pv.call_counts(recorded["deco"], "MainThread")
    assert counts["leaf"] == 7 and counts["decorated"] == 1


def test_user_marker_and_region(recorded):
    p = recorded["profile"]
    ms = markers(p, "MainThread", "User")
    assert [(n, d.get("step"), d.get("label")) for n, _, _, d in ms] == [("checkpoint", 3, "half")]
    rs = markers(p, "MainThread", "UserRegion")
    assert [(n, d.get("kind")) for n, _, _, d in rs] == [("sleepy", "io")]
    dur = (rs[0][2] - rs[0][1]) / 1000.0
    assert abs(dur - recorded["exp"]["region_s"]) <= 0.03 * recorded["exp"]["region_s"], dur
    names = {n for t in p["threads"] for n, *_ in markers(p, t, "User")}
    assert "ignored" not in names


def test_running_thread_traced(recorded):
    p = recorded["profile"]
    assert "early" in pv.thread_names(p)
    counts = pv.call_counts(p, "early")
    # Ticks made while recording: at least one, at most all of them.
    assert 1 <= counts["early_tick"] <= recorded["exp"]["early_ticks_total"]
    paths = [k for k in pv.call_paths(p, "early") if k[-1] == "early_tick"]
    assert all("early_loop" in k for k in paths), paths


def test_renamed_and_raw_threads(recorded):
    p = recorded["profile"]
    names = pv.thread_names(p)
    assert "final-name" in names and "first-name" not in names, names
    assert pv.call_counts(p, "final-name")["leaf"] == 1
    raw = [t for t in p["threads"] if pv.call_counts(p, t)["middle.<locals>.raw"] == 1]
    assert len(raw) == 1, names
    assert pv.call_counts(p, raw[0])["leaf"] == 5
    assert len(markers(p, raw[0], "ThreadStart")) == 1
    assert len(markers(p, raw[0], "ThreadEnd")) == 1
