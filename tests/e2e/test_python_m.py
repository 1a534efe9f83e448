"""python -m ftrace (script | -m module | -c code): the program sees exactly what plain
python gives it (sys.argv, sys.path[0], __main__), and is traced."""
import os

import pytest

import profile_validator as pv
from conftest import assert_valid, run

SHOW = """import sys, __main__
def probe():
    return 1
probe()
print(repr((sys.argv, sys.path[0], __name__, getattr(__main__, "__file__", None),
            __spec__.name if __spec__ else None, __loader__ is not None,
            sys.modules["__main__"] is __main__,
            sorted(k for k in vars(__main__) if not k.startswith("__")))))
"""


@pytest.fixture
def env(ftrace_bin):
    return dict(os.environ, PYTHONPATH=str(ftrace_bin.parent.parent / "python"))


@pytest.mark.parametrize("mode", ["script", "module", "code"])
def test_same_as_plain_python(ftrace, env, mode):
    d = ftrace.workdir / "pkg"
    d.mkdir()
    (d / "show.py").write_text(SHOW)
    if mode == "script":
        args, cwd = ["pkg/show.py", "a", "-b"], ftrace.workdir
    elif mode == "module":
        args, cwd = ["-m", "show", "x", "--y"], d
    else:
        args, cwd = ["-c", SHOW, "q"], d
    plain = run([ftrace.python, *args], cwd=cwd, env=env)
    traced = run([ftrace.python, "-m", "ftrace", "-o", ftrace.workdir / "t.dir", *args],
                 cwd=cwd, env=env)
    assert plain.returncode == 0 and traced.returncode == 0, traced.describe()
    assert traced.out == plain.out
    profile, _ = ftrace.convert_load(ftrace.workdir / "t.dir")
    assert_valid(profile)
    assert pv.call_counts(profile, "MainThread")["probe"] == 1


def test_exit_code_and_traceback(ftrace, env):
    prog = ftrace.write_program("import sys\ndef f():\n    raise ValueError('bad')\nf()\n")
    plain = run([ftrace.python, prog], cwd=prog.parent, env=env)
    traced = run([ftrace.python, "-m", "ftrace", "-o", ftrace.workdir / "t.dir", prog],
                 cwd=prog.parent, env=env)
    assert traced.returncode == plain.returncode == 1
    assert traced.err.startswith(plain.err), traced.err  # then ftrace's own final line
    assert "ftrace" not in traced.err[:len(plain.err)]


def test_usage_errors(ftrace, env):
    r = run([ftrace.python, "-m", "ftrace"], env=env)
    assert r.returncode == 2 and "missing program" in r.err
    r = run([ftrace.python, "-m", "ftrace", "--help"], env=env)
    assert r.returncode == 0 and "python -m ftrace" in r.out
    r = run([ftrace.python, "-m", "ftrace", "--exceptions", "most", "-c", "pass"], env=env)
    assert r.returncode == 2 and "--exceptions needs one of auto, all, none" in r.err, r.describe()


@pytest.mark.parametrize("exceptions", ["all", "none"])
def test_exceptions_option(ftrace, env, exceptions):
    # A `raise` caught in the same function: seen on every version with all, on none with none.
    code = ("def f():\n    try:\n        raise ValueError('caught here')\n"
            "    except ValueError:\n        return 1\nprint(f())\n")
    out = ftrace.workdir / "m.dir"
    r = run([ftrace.python, "-m", "ftrace", "-o", out, "--exceptions", exceptions, "-c", code],
            cwd=ftrace.workdir, env=env)
    assert r.returncode == 0 and r.out == "1\n", r.describe()
    profile, _ = ftrace.convert_load(out)
    assert_valid(profile)
    got = [(d["type_"], d["message"], d["function"])
           for t in profile["threads"] for d in t["markers"]["data"]
           if isinstance(d, dict) and d.get("type") == "Exception"]
    want = [("ValueError", "caught here", "f")] if exceptions == "all" else []
    assert got == want
