"""`ftrace record` leaves the program's behaviour alone: argv, cwd, stdio, exit codes."""
import json
import os
from pathlib import Path

import pytest

from conftest import run, split_ftrace_line

ENV_PROG = r'''
import json, os, sys
info = {"argv": sys.argv, "cwd": os.getcwd(), "name": __name__, "file": __file__,
        "path0": sys.path[0], "stdin": sys.stdin.read()}
sys.stdout.write(json.dumps(info, sort_keys=True))
'''

# Output with odd bytes, no trailing newline on stdout, interleaved flushes on both streams.
IO_PROG = r'''
import sys
sys.stdout.write("line one\n")
sys.stdout.flush()
sys.stderr.write("err one\n")
sys.stderr.flush()
sys.stdout.buffer.write(b"\x00\xff\xfe binary \xe2\x82\xac\r\n")
print("unicode: \u00fc\u4e2d", end="")
sys.stdout.flush()
sys.stderr.buffer.write(b"err bytes \xff\n")
print("\n".join(str(i) for i in range(2000)), file=sys.stderr)
'''

EXIT_PROG = r'''
import sys
print("before exit")
sys.exit(int(sys.argv[1]))
'''

RAISE_PROG = r'''
def deeper():
    raise ValueError("boom from the program")

def top():
    deeper()

print("about to raise")
top()
'''

TRIVIAL_PROG = r'''
def f():
    return 1
print(f())
'''


def _program_stderr(r):
    err, line = split_ftrace_line(r.stderr)
    assert line is not None, f"no final 'ftrace:' line:\n{r.describe()}"
    return err


def test_argv_cwd_and_stdin_as_without_ftrace(ftrace, tmp_path):
    prog = ftrace.write_program(ENV_PROG, where=tmp_path / "src")
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    # Arguments that look like ftrace's own options must reach the program untouched.
    args = ["a b", "", "-o", "x", "--", "--help", "\u00fc"]
    stdin = b"input text\n"
    plain = ftrace.run_untraced(prog, args, cwd=workdir, input=stdin)
    assert plain.returncode == 0, plain.describe()
    rec = ftrace.record(prog, args, cwd=workdir, input=stdin, out=tmp_path / "t.dir")
    assert rec.record.stdout == plain.stdout
    got = json.loads(rec.record.stdout)
    assert got["argv"] == [str(prog)] + args
    assert got["cwd"] == str(workdir)
    assert got["name"] == "__main__"
    assert got["stdin"] == "input text\n"
    assert _program_stderr(rec.record) == plain.stderr


def test_relative_script_path(ftrace, tmp_path):
    prog = ftrace.write_program(ENV_PROG, where=tmp_path / "src")
    plain = run([ftrace.python, "src/prog.py", "x"], cwd=tmp_path)
    r = run([ftrace.binary, "record", "-o", tmp_path / "t.dir", "--", ftrace.python,
             "src/prog.py", "x"], cwd=tmp_path)
    assert r.returncode == 0, r.describe()
    assert r.stdout == plain.stdout
    assert json.loads(r.stdout)["argv"] == ["src/prog.py", "x"]


def test_stdout_stderr_bytes_identical(ftrace, tmp_path):
    prog = ftrace.write_program(IO_PROG)
    plain = ftrace.run_untraced(prog)
    rec = ftrace.record(prog)
    assert rec.record.stdout == plain.stdout
    assert _program_stderr(rec.record) == plain.stderr


@pytest.mark.parametrize("code", [3, 0, 42])
def test_exit_code_passes_through(ftrace, code):
    prog = ftrace.write_program(EXIT_PROG)
    plain = ftrace.run_untraced(prog, [str(code)])
    assert plain.returncode == code
    rec = ftrace.record(prog, [str(code)], check=False)
    assert rec.record.returncode == code, rec.record.describe()
    assert rec.record.stdout == plain.stdout
    assert _program_stderr(rec.record) == plain.stderr
    assert rec.trace_dir.is_dir()


def test_uncaught_exception_exit_code_and_traceback(ftrace):
    prog = ftrace.write_program(RAISE_PROG)
    plain = ftrace.run_untraced(prog)
    assert plain.returncode == 1
    rec = ftrace.record(prog, check=False)
    assert rec.record.returncode == 1, rec.record.describe()
    assert rec.record.stdout == plain.stdout
    # The traceback must be the program's own: no launcher frames in it.
    assert _program_stderr(rec.record) == plain.stderr


def test_trace_of_failing_program_still_converts(ftrace):
    import profile_validator as pv
    prog = ftrace.write_program(RAISE_PROG)
    rec = ftrace.record(prog, check=False)
    assert rec.record.returncode == 1
    profile, _ = ftrace.convert_load(rec.trace_dir)
    problems = pv.validate(profile)
    assert not problems, problems
    counts = pv.call_counts(profile, "MainThread")
    assert counts["top"] == 1 and counts["deeper"] == 1, counts


def _new_dirs(before, cwd):
    return sorted(set(p for p in cwd.iterdir() if p.is_dir()) - before)


def test_default_output_dir_in_cwd_not_overwritten(ftrace, tmp_path):
    prog = ftrace.write_program(TRIVIAL_PROG, where=tmp_path / "src")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    made = []
    for attempt in range(2):
        before = set(p for p in cwd.iterdir() if p.is_dir())
        r = run([ftrace.binary, "record", "--", ftrace.python, prog], cwd=cwd)
        assert r.returncode == 0, r.describe()
        assert r.stdout == b"1\n"
        new = _new_dirs(before, cwd)
        assert len(new) == 1, f"attempt {attempt}: new dirs in cwd: {new}\n{r.describe()}"
        _, line = split_ftrace_line(r.stderr)
        assert line is not None and new[0].name in line.decode(), r.describe()
        made.append((new[0], {p: p.read_bytes() for p in new[0].rglob("*") if p.is_file()}))
    (first, first_files), (second, _) = made
    assert first != second
    assert first_files, f"{first} is empty"
    assert {p: p.read_bytes() for p in first.rglob("*") if p.is_file()} == first_files
    assert list(tmp_path.joinpath("src").iterdir()) == [prog], "trace written next to script"


def test_explicit_existing_output_dir_not_clobbered(ftrace, tmp_path):
    """-o naming a directory that already holds a trace must not destroy that trace."""
    prog = ftrace.write_program(TRIVIAL_PROG)
    out = tmp_path / "t.dir"
    ftrace.record(prog, out=out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    r = run([ftrace.binary, "record", "-o", out, "--", ftrace.python, prog], cwd=tmp_path)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and p in before}
    assert after == before, f"earlier trace files changed\n{r.describe()}"
    assert r.returncode >= 0, r.describe()


def test_missing_program_fails_cleanly(ftrace, tmp_path):
    missing = tmp_path / "no_such_script.py"
    plain = run([ftrace.python, missing], cwd=tmp_path)
    r = run([ftrace.binary, "record", "-o", tmp_path / "t.dir", "--", ftrace.python, missing],
            cwd=tmp_path)
    assert r.returncode == plain.returncode, r.describe()
    assert b"no_such_script.py" in r.stderr


def test_record_without_command_is_an_error(ftrace, tmp_path):
    r = run([ftrace.binary, "record"], cwd=tmp_path)
    assert r.returncode > 0, r.describe()
    assert r.stderr.strip(), "no message"


@pytest.mark.parametrize("separator", [True, False], ids=["with--", "without--"])
def test_record_command_forms(ftrace, tmp_path, separator):
    """`ftrace record [-o DIR] [--] COMMAND ARGS...`: the `--` is optional."""
    prog = ftrace.write_program(TRIVIAL_PROG)
    out = tmp_path / f"t-{separator}.dir"
    args = [ftrace.binary, "record", "-o", out] + (["--"] if separator else []) + \
        [ftrace.python, prog]
    r = run(args, cwd=tmp_path)
    assert r.returncode == 0, r.describe()
    assert r.stdout == b"1\n", r.describe()
    assert out.is_dir()
