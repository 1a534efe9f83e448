"""`--exceptions all` (and ftrace.trace(exceptions="all")) sees exceptions raised and caught
in one function on every thread, on every interpreter: the main thread, threading.Thread,
_thread.start_new_thread, and threads already running when ftrace.trace() starts (3.9+; 3.8
cannot give them the trace function and says so). The program computes its own ground truth.
Without it (auto), 3.8-3.11 see none of these and 3.12+ all of them."""
import json
import os
import shutil

import pytest

from conftest import HERE, assert_valid, run
from test_api import pkg_root

PROGRAM = HERE / "programs" / "exception_threads_prog.py"


def exception_markers(profile):
    """{thread name: [[type, message], ...]} of the program's own exceptions, in time order."""
    sa = profile["shared"]["stringArray"]
    out = {}
    for t in profile["threads"]:
        m = t["markers"]
        got = []
        for i in range(m["length"]):
            d = m["data"][i]
            if isinstance(d, dict) and d.get("type") == "Exception" and (
                    " stmt " in d.get("message", "") or " key " in d.get("message", "")):
                got.append((m["startTime"][i], [d["type_"], d["message"]]))
        if got:
            out.setdefault(t["name"], []).extend(x for _, x in sorted(got, key=lambda g: g[0]))
    return out


def by_role(profile, roles):
    """The markers grouped by the thread role that raised them (from the message prefix)."""
    out = {}
    for name, ms in exception_markers(profile).items():
        for type_, message in ms:
            role = message.strip("'").split(" ")[0]
            out.setdefault(role, []).append([type_, message])
            assert role in roles, (name, message)
    return out


def expected_messages(raised):
    # KeyError's str() is the repr of its key.
    return {role: [[t, m] for t, m in ms] for role, ms in raised.items()}


@pytest.mark.parametrize("mode", ["full", "python-only"])
@pytest.mark.parametrize("exceptions", ["all", "auto"])
def test_every_thread_kind(ftrace, test_interpreter, mode, exceptions):
    prog_dir = ftrace.workdir / "prog"
    prog_dir.mkdir()
    prog = prog_dir / PROGRAM.name
    shutil.copy(PROGRAM, prog)
    options = (["--python-only"] if mode == "python-only" else []) + ["--exceptions", exceptions]
    rec = ftrace.record(prog, ["expected.json"], options=options)
    assert "ftrace: warning" not in rec.record.err, rec.record.describe()
    raised = json.loads((prog_dir / "expected.json").read_text())
    assert sorted(raised) == ["main", "raw", "worker"]
    assert [len(raised[r]) for r in ("main", "worker", "raw")] == [6, 10, 8]
    profile, _ = ftrace.convert_load(rec.trace_dir)
    assert_valid(profile)
    got = by_role(profile, raised)
    if exceptions == "all" or test_interpreter.version >= (3, 12):
        assert got == expected_messages(raised)
        names = exception_markers(profile)
        assert len(names["MainThread"]) == 6 and len(names["exc-worker"]) == 10
    else:
        assert got == {}  # 3.8-3.11 report these to trace functions only


def test_api_thread_running_before_start(ftrace, test_interpreter, tmp_path):
    prog_dir = ftrace.workdir / "prog"
    prog_dir.mkdir()
    prog = prog_dir / PROGRAM.name
    shutil.copy(PROGRAM, prog)
    trace_dir = tmp_path / "api.dir"
    env = dict(os.environ, PYTHONPATH=str(pkg_root(ftrace.binary)))
    r = run([ftrace.python, prog, "expected.json", "api", trace_dir], cwd=prog_dir, env=env)
    assert r.returncode == 0, r.describe()
    raised = json.loads((prog_dir / "expected.json").read_text())
    assert sorted(raised) == ["early", "main", "raw", "worker"]
    profile, _ = ftrace.convert_load(trace_dir)
    assert_valid(profile)
    got = by_role(profile, raised)
    want = expected_messages(raised)
    if test_interpreter.version[:2] == (3, 8):
        # 3.8 cannot set another thread's trace function: said once, the rest is complete.
        assert r.err.count("ftrace: warning") == 1 and "3.8" in r.err, r.describe()
        del want["early"]
    else:
        assert "ftrace: warning" not in r.err, r.describe()
    assert got == want


def test_unknown_mode_is_refused(ftrace):
    prog = ftrace.write_program("print('hi')\n")
    r = run([ftrace.binary, "record", "--exceptions", "some", "--", ftrace.python, prog],
            cwd=ftrace.workdir)
    assert r.returncode != 0 and "--exceptions" in r.err, r.describe()
    assert r.stdout == b"", r.describe()
