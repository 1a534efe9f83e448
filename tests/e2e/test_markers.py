"""Markers end to end: the program records what it printed, logged, imported, collected and
raised; the profile must show exactly those markers, with schemas, on the right threads."""
import json
import shutil

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid

PROGRAM = HERE / "programs" / "markers_prog.py"


def markers(profile, thread, type_):
    """[(name, start, end, data)] of one marker type on a thread, in time order."""
    t = pv._thread(profile, thread)
    m, sa = t["markers"], profile["shared"]["stringArray"]
    out = []
    for i in range(m["length"]):
        d = m["data"][i]
        if isinstance(d, dict) and d.get("type") == type_:
            out.append((sa[m["name"][i]], m["startTime"][i], m["endTime"][i], d))
    return sorted(out, key=lambda x: x[1])


@pytest.fixture(scope="module")
def recorded(ftrace_module):
    ft = ftrace_module
    prog_dir = ft.workdir / "markers"
    prog_dir.mkdir()
    prog = prog_dir / "markers_prog.py"
    shutil.copy(PROGRAM, prog)
    untraced = ft.run_untraced(prog, ["expected-untraced.json"])
    assert untraced.returncode == 0, untraced.describe()
    (prog_dir / "slow_mod_xyz.py").unlink()
    shutil.rmtree(prog_dir / "__pycache__", ignore_errors=True)
    rec = ft.record(prog, ["expected.json"], out=ft.workdir / "markers.dir")
    exp = json.loads((prog_dir / "expected.json").read_text())
    profile, _ = ft.convert_load(rec.trace_dir, ft.workdir / "markers.json")
    return {"untraced": untraced, "rec": rec, "exp": exp, "profile": profile}


def test_valid_and_output_unchanged(recorded):
    assert_valid(recorded["profile"])
    assert recorded["rec"].record.stdout == recorded["untraced"].stdout
    assert recorded["exp"]["obj_str_calls"] == 1  # print's __str__ ran once under ftrace too


def test_schemas_declared(recorded):
    names = {s["name"] for s in recorded["profile"]["meta"]["markerSchema"]}
    assert {"Print", "Log", "Import", "GC", "Exception", "ThreadStart", "ThreadEnd"} <= names


def test_print_texts(recorded):
    got = [d["text"] for _, _, _, d in markers(recorded["profile"], "MainThread", "Print")]
    assert got == recorded["exp"]["prints"]


def test_logging_records(recorded):
    got = [[d["level"], d["logger"], d["message"]]
           for _, _, _, d in markers(recorded["profile"], "MainThread", "Log")]
    assert got == recorded["exp"]["logs"]


def test_import_interval(recorded):
    exp = recorded["exp"]
    ms = [m for m in markers(recorded["profile"], "MainThread", "Import")
          if m[3]["module"] == "slow_mod_xyz"]
    assert len(ms) == 1, ms
    _, start, end, _ = ms[0]
    dur_s = (end - start) / 1000.0
    # Between the module's own sleep and the importer's stopwatch around the import.
    assert exp["import_inner_s"] <= dur_s * 1.03 and dur_s <= exp["import_s"] * 1.03, \
        (dur_s, exp)


def test_gc_runs(recorded):
    got = [(d["generation"], d["collected"], d["uncollectable"])
           for _, s, e, d in markers(recorded["profile"], "MainThread", "GC")]
    want = [tuple(r) for r in recorded["exp"]["gc_runs"]]
    # The program's callback saw its own collections; ours sees the same ones (and maybe
    # automatic ones before/after its window).
    for w in want:
        assert w in got, (w, got)
    assert all(e >= s for _, s, e, _ in markers(recorded["profile"], "MainThread", "GC"))


def test_exceptions_one_marker_each(recorded):
    got = [[d["type_"], d["message"], d["function"]]
           for _, _, _, d in markers(recorded["profile"], "MainThread", "Exception")
           if d["function"] in ("deep", "parse")]
    assert got == recorded["exp"]["exceptions"]


def test_thread_start_end(recorded):
    for name in recorded["exp"]["threads"]:
        starts = markers(recorded["profile"], name, "ThreadStart")
        ends = markers(recorded["profile"], name, "ThreadEnd")
        assert [d["name"] for *_, d in starts] == [name]
        assert [d["name"] for *_, d in ends] == [name]
        assert starts[0][1] <= ends[0][1]


def test_readme_sample_shows_markers(ftrace):
    sample = HERE.parent.parent / "samples" / "orders"
    dst = ftrace.workdir / "orders"
    shutil.copytree(sample, dst)
    plain = ftrace.run_untraced(dst / "main.py", ["300"])
    rec = ftrace.record(dst / "main.py", ["300"])
    profile, _ = ftrace.convert_load(rec.trace_dir)
    assert_valid(profile)
    # same output apart from the timing line
    strip = lambda out: [l for l in out.splitlines() if " in " not in l]  # noqa: E731
    assert strip(rec.record.out) == strip(plain.out)
    types = {d["type"] for t in profile["threads"] for d in pv.marker_data(profile, t)}
    assert {"Print", "Log", "Import", "UserRegion", "ThreadStart", "ThreadEnd"} <= types, types
    log = [d for t in profile["threads"] for d in pv.marker_data(profile, t, "Log")]
    assert [d["message"] for d in log] == ["priced 300 of 300 orders"]
