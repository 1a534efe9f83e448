"""Exception markers: the program lists every exception it raises (type, message, the function
it was raised in, how it was raised and caught); the profile must show exactly one marker for
each exception the interpreter lets a tracer see, in order, and none for re-raises.

What each interpreter lets ftrace see (README, "What a profile shows") is spelled out here:
  3.12+        sys.monitoring RAISE: every exception, wherever it is caught.
  3.8-3.11     exceptions leaving a function (all), and exceptions raised by a built-in function
               or method called from Python (PyTrace_C_EXCEPTION) -- the latter only where ftrace
               sees C calls: full mode, and --python-only on 3.8 (profile hook); not under the
               frame-evaluation hook (--python-only on 3.9-3.11). A `raise` statement, an operator,
               a call of a class (int("x")) or a throw() caught in the same function raise
               nothing a profile function is told about.
  --exceptions all   every exception on every version (3.8-3.11: a whole-run trace function).
  --exceptions none  no exception marker at all."""
import json
import shutil

import pytest

from conftest import HERE, assert_valid, run
from test_markers import markers

PROGRAM = HERE / "programs" / "exceptions_prog.py"
ALL_HOWS = {"stmt-here", "op-here", "type-here", "cfunc-here", "thrown-here", "escaped"}


def visible_hows(version, python_only, exceptions="auto"):
    if exceptions == "none":
        return set()
    if version >= (3, 12) or exceptions == "all":
        return ALL_HOWS
    if python_only and version >= (3, 9):  # frame-evaluation hook: no C calls seen at all
        return {"escaped"}
    return {"escaped", "cfunc-here"}


# (mode, --exceptions)
MODES = {"full": ("full", "auto"), "python-only": ("python-only", "auto"),
         "full-all": ("full", "all"), "python-only-all": ("python-only", "all"),
         "full-none": ("full", "none")}


@pytest.fixture(scope="module", params=list(MODES))
def recorded(request, ftrace_module, test_interpreter):
    ft = ftrace_module
    mode = request.param
    calls, exceptions = MODES[mode]
    prog_dir = ft.workdir / ("exc-" + mode)
    prog_dir.mkdir()
    prog = prog_dir / "exceptions_prog.py"
    shutil.copy(PROGRAM, prog)
    untraced = ft.run_untraced(prog, ["expected-untraced.json"])
    assert untraced.returncode == 0, untraced.describe()
    out = ft.workdir / ("exc-" + mode + ".dir")
    options = (["--python-only"] if calls == "python-only" else []) + ["--exceptions", exceptions]
    r = run([ft.binary, "record", "-o", out, *options, "--", ft.python, prog, "expected.json"],
            cwd=prog_dir)
    assert r.returncode == 0, r.describe()
    assert "ftrace: warning" not in r.err, r.describe()
    raised = json.loads((prog_dir / "expected.json").read_text())["raised"]
    assert raised == json.loads((prog_dir / "expected-untraced.json").read_text())["raised"]
    profile, _ = ft.convert_load(out, ft.workdir / ("exc-" + mode + ".json"))
    return {"raised": raised, "profile": profile, "record": r, "untraced": untraced,
            "version": test_interpreter.version[:2], "python_only": calls == "python-only",
            "exceptions": exceptions}


def test_profile_valid_and_output_unchanged(recorded):
    assert_valid(recorded["profile"])
    assert recorded["record"].stdout == recorded["untraced"].stdout


def test_program_raised_every_kind(recorded):
    hows = [how for *_, how in recorded["raised"]]
    assert set(hows) == ALL_HOWS
    assert hows.count("op-here") == 21 and hows.count("escaped") == 10


def test_one_marker_per_visible_exception(recorded):
    raised = recorded["raised"]
    functions = {function for _, _, function, _ in raised}
    got = [[d["type_"], d["message"], d["function"]]
           for *_, d in markers(recorded["profile"], "MainThread", "Exception")
           if d["function"] in functions]
    visible = visible_hows(recorded["version"], recorded["python_only"], recorded["exceptions"])
    want = [[type_, message, function] for type_, message, function, how in raised
            if how in visible]
    assert got == want


def test_markers_on_any_thread_only_unless_none(recorded):
    # --exceptions none: not one Exception marker anywhere; every other mode has some.
    profile = recorded["profile"]
    n = sum(len(markers(profile, t["name"], "Exception")) for t in profile["threads"])
    assert (n == 0) == (recorded["exceptions"] == "none"), n
