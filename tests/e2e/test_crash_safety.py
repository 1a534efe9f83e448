"""Crash safety: whatever ends the traced program, everything written before converts, at most
one unflushed buffer per thread is lost, the lost tail is reported, and the program's output and
exit status are those of the untraced run. The program counts its own calls (ground truth)."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

import profile_validator as pv
from conftest import HERE, TIMEOUT, assert_valid, split_ftrace_line, thread_files

PROGRAM = HERE / "programs" / "crash_prog.py"
BUFFER_EVENTS = 64 * 1024   # ThreadRecorder::kCapacity
MAX_LOST_CALLS = BUFFER_EVENTS // 2  # step() makes a call and a return event, nothing else


def _prog(ftrace):
    dst = ftrace.workdir / "crash_prog.py"
    shutil.copy(PROGRAM, dst)
    return dst


def _assert_same_behaviour(untraced, traced):
    assert traced.returncode == untraced.returncode, \
        f"untraced exit {untraced.returncode}\n{traced.describe()}"
    assert traced.stdout == untraced.stdout, traced.describe()
    program_err, ftrace_line = split_ftrace_line(traced.stderr)
    assert ftrace_line is not None and b"trace written to" in ftrace_line, traced.describe()
    assert program_err == untraced.stderr, traced.describe()
    assert b"ftrace: warning" not in traced.stderr, traced.describe()


def _record_and_convert(ftrace, mode):
    prog = _prog(ftrace)
    untraced = ftrace.run_untraced(prog, [mode, "untraced.json"])
    rec = ftrace.record(prog, [mode, "traced.json"], check=False)
    _assert_same_behaviour(untraced, rec.record)
    truth = json.loads((prog.parent / "traced.json").read_text())
    out = ftrace.workdir / "crash.json"
    conv = ftrace.convert(rec.trace_dir, out)
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    assert sorted(pv.thread_names(profile)) == ["MainThread", "worker"], conv.describe()
    return profile, truth, conv, rec


@pytest.mark.parametrize("mode", ["sigkill", "segv_ctypes", "segv_kill", "abort"])
def test_crash_loses_at_most_one_buffer_per_thread(ftrace, mode):
    profile, truth, conv, rec = _record_and_convert(ftrace, mode)
    for thread, func in (("MainThread", "step"), ("worker", "worker_step")):
        got = pv.call_counts(profile, thread)[func]
        assert truth[func] - MAX_LOST_CALLS <= got <= truth[func], (thread, got, truth[func])
    # The unfinished tail is reported, naming each thread file.
    (files,) = thread_files(rec.trace_dir).values()
    for f in files:
        assert f.name in conv.err and "no final chunk" in conv.err, conv.describe()
    info = ftrace.info(rec.trace_dir)
    assert info.returncode == 0 and "no clean end" in info.out, info.describe()


@pytest.mark.parametrize("mode", ["os_exit", "sigterm", "sigint", "sigterm_handler",
                                  "sigint_handler"])
def test_flushing_endings_lose_nothing(ftrace, mode):
    profile, truth, conv, _ = _record_and_convert(ftrace, mode)
    assert pv.call_counts(profile, "MainThread")["step"] == truth["step"]
    assert pv.call_counts(profile, "worker")["worker_step"] == truth["worker_step"]
    assert "no final chunk" not in conv.err, conv.describe()


def test_sigint_traceback_and_status_as_without_ftrace(ftrace):
    prog = _prog(ftrace)
    untraced = ftrace.run_untraced(prog, ["sigint", "u.json"])
    assert untraced.returncode in (-signal.SIGINT, 130) and b"KeyboardInterrupt" in untraced.stderr
    rec = ftrace.record(prog, ["sigint", "t.json"], check=False)
    _assert_same_behaviour(untraced, rec.record)


def test_killed_before_first_buffer_is_listed(ftrace):
    """SIGKILL right at start: chunk 0 (written when recording starts) still names the process."""
    prog = ftrace.write_program("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    rec = ftrace.record(prog, check=False)
    assert rec.record.returncode == -signal.SIGKILL, rec.record.describe()
    out = ftrace.workdir / "early.json"
    conv = ftrace.convert(rec.trace_dir, out)
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    assert pv.thread_names(profile) == ["MainThread"]
    assert "no final chunk" in conv.err, conv.describe()


@pytest.mark.one_python
def test_empty_process_folder_and_file_are_reported(ftrace, tmp_path):
    """A process killed between creating its folder/file and writing to it."""
    prog = ftrace.write_program("print('ok')\n")
    rec = ftrace.record(prog)
    empty_proc = rec.trace_dir / "p4242-1"
    empty_proc.mkdir()
    half_proc = rec.trace_dir / "p4243-2"
    half_proc.mkdir()
    (half_proc / "t0-4243.ftrace").write_bytes(b"")
    out = ftrace.workdir / "e.json"
    conv = ftrace.convert(rec.trace_dir, out)
    assert "p4242-1" in conv.err and "t0-4243.ftrace" in conv.err, conv.describe()
    assert_valid(pv.load_profile(str(out)))
    # Only empty folders: nothing to convert is an error naming the directory, not a crash.
    only_empty = tmp_path / "only-empty.dir"
    only_empty.mkdir()
    shutil.copy(rec.trace_dir / "FTRACE-TRACE", only_empty)
    shutil.copytree(half_proc, only_empty / half_proc.name)
    r = ftrace.convert(only_empty, tmp_path / "none.json", check=False)
    assert r.returncode == 1 and "nothing readable" in r.err and "t0-4243.ftrace" in r.err, \
        r.describe()
    assert not (tmp_path / "none.json").exists()


@pytest.mark.one_python
@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
def test_sigkill_from_outside_at_any_moment(ftrace, delay):
    """SIGKILL from outside at an arbitrary moment (maybe mid-write): still a valid profile."""
    prog = _prog(ftrace)
    trace_dir = ftrace.workdir / "killed.dir"
    p = subprocess.Popen([str(ftrace.binary), "record", "-o", str(trace_dir), "--", ftrace.python,
                          str(prog), "exit", "t.json"], cwd=prog.parent,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + TIMEOUT
    while not any(trace_dir.glob("p*")) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(delay)
    (proc,) = thread_files(trace_dir)
    pid = int(proc[1:].split("-")[0])
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already finished: then the trace is simply complete
    _, err = p.communicate(timeout=TIMEOUT)
    out = ftrace.workdir / "killed.json"
    conv = ftrace.convert(trace_dir, out)
    assert "Traceback" not in conv.err
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    assert "MainThread" in pv.thread_names(profile)
