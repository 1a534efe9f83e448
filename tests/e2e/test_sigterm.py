"""SIGTERM with its default disposition, wherever the traced program is when it arrives: the
last events are written, then the process dies by SIGTERM exactly as untraced (exit status,
output); signal.getsignal(SIGTERM) still says SIG_DFL. See record/ext/sigterm_flush.h.

The program counts its own calls before it blocks (ground truth); the test sends SIGTERM from
outside once the counts are written."""
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

import profile_validator as pv
from conftest import HERE, TIMEOUT, Run, assert_valid, split_ftrace_line

PROGRAM = HERE / "programs" / "sigterm_blocked.py"
MAX_LOST_CALLS = 64 * 1024 // 2  # one unwritten buffer of step() calls (call + return events)
DEADLINE_S = 5  # sigterm_flush.h kDeadlineSeconds


def _run_and_kill(args, truth_file, cwd):
    """Runs `args`, waits for the program's counts file, sends SIGTERM to the pid in it, and
    returns (Run, truth)."""
    # Own process group: a hung program (and its children) can be killed as a whole.
    p = subprocess.Popen([str(a) for a in args], cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while not truth_file.exists():
            assert p.poll() is None, f"exited before blocking: {p.returncode} {p.stderr.read()}"
            assert time.monotonic() < deadline, "the program never wrote its counts"
            time.sleep(0.02)
        truth = json.loads(truth_file.read_text())
        time.sleep(0.2)  # let it block (and the workers run on)
        os.kill(truth["pid"], signal.SIGTERM)
        out, err = p.communicate(timeout=TIMEOUT)
    finally:
        if p.poll() is None:  # hung: the failure this file is about
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
    return Run([str(a) for a in args], p.returncode, out, err), truth


def _thread_of(profile, name, pid):
    """The thread `name` of process `pid` (profile pids may carry a ".N" suffix)."""
    found = [t for t in profile["threads"]
             if t["name"] == name and str(t["pid"]).split(".")[0] == str(pid)]
    assert len(found) == 1, [(t["name"], t["pid"]) for t in profile["threads"]]
    return found[0]


def _record_killed(ftrace, mode):
    prog = ftrace.workdir / "sigterm_blocked.py"
    shutil.copy(PROGRAM, prog)
    untraced, _ = _run_and_kill([ftrace.python, prog, mode, "u.json"], prog.parent / "u.json",
                                prog.parent)
    trace_dir = ftrace.workdir / "trace.dir"
    rec, truth = _run_and_kill([ftrace.binary, "record", "-o", trace_dir, "--", ftrace.python,
                                prog, mode, "t.json"], prog.parent / "t.json", prog.parent)
    assert rec.returncode == untraced.returncode, f"untraced: {untraced.returncode}\n" + \
        rec.describe()
    assert rec.stdout == untraced.stdout, rec.describe()
    assert b"getsignal SIGTERM default: True" in rec.stdout, rec.describe()
    program_err, ftrace_line = split_ftrace_line(rec.stderr)
    assert ftrace_line is not None and b"trace written to" in ftrace_line, rec.describe()
    out = ftrace.workdir / "trace.json"
    conv = ftrace.convert(trace_dir, out)
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    return rec, untraced, program_err, truth, profile, conv


@pytest.mark.parametrize("mode", ["lock", "sleep", "select", "mutex", "fork_lock"])
def test_sigterm_while_blocked_writes_everything_and_dies_by_it(ftrace, mode):
    rec, untraced, program_err, truth, profile, conv = _record_killed(ftrace, mode)
    if mode == "fork_lock":
        assert rec.returncode == 0 and b"child ended by signal 15" in rec.stdout, rec.describe()
    else:
        assert rec.returncode == -signal.SIGTERM, rec.describe()
    assert program_err == untraced.stderr, rec.describe()
    assert b"ftrace: warning" not in rec.stderr, rec.describe()
    counts = pv.call_counts(profile, _thread_of(profile, "MainThread", truth["pid"]))
    assert counts["step"] == truth["step"], (counts.get("step"), truth)
    for name in ("busy", "sleepy"):
        func = name + "_step"
        got = pv.call_counts(profile, _thread_of(profile, name, truth["pid"])).get(func, 0)
        assert got >= truth[func], (name, got, truth)
    assert "no final chunk" not in conv.err, conv.describe()


def test_sigterm_while_a_c_call_holds_the_gil_dies_after_the_deadline(ftrace):
    # Nothing can take the GIL: the watchdog gives up after its deadline and the process dies
    # by SIGTERM anyway, with one warning line, losing at most its unwritten buffers.
    rec, untraced, program_err, truth, profile, conv = _record_killed(ftrace, "mutex_gil")
    assert rec.returncode == -signal.SIGTERM, rec.describe()
    assert program_err.count(b"ftrace: warning: SIGTERM") == 1, rec.describe()
    assert program_err.replace(program_err[program_err.index(b"ftrace: warning"):], b"") == \
        untraced.stderr, rec.describe()
    got = pv.call_counts(profile, _thread_of(profile, "MainThread", truth["pid"])).get("step", 0)
    assert truth["step"] - MAX_LOST_CALLS <= got <= truth["step"], (got, truth)
    assert "no final chunk" in conv.err, conv.describe()


GETSIGNAL_PROG = r'''
import os, signal, sys
def show(where):
    h = signal.getsignal(signal.SIGTERM)
    print(where, "SIG_DFL" if h is signal.SIG_DFL else repr(h), flush=True)
show("start")
pid = os.fork()
if pid == 0:
    show("fork child")
    os._exit(0)
os.waitpid(pid, 0)
'''


def test_getsignal_sigterm_is_default_as_untraced(ftrace):
    prog = ftrace.write_program(GETSIGNAL_PROG)
    untraced = ftrace.run_untraced(prog)
    rec = ftrace.record(prog)
    assert untraced.stdout == b"start SIG_DFL\nfork child SIG_DFL\n", untraced.describe()
    assert rec.record.stdout == untraced.stdout, rec.record.describe()


OWN_HANDLER_PROG = r'''
import os, signal, sys, time
mode = sys.argv[1]
def on_term(signum, frame):
    print("program's handler ran", flush=True)
    sys.exit(5)
if mode == "handler":
    signal.signal(signal.SIGTERM, on_term)
elif mode == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
elif mode == "default_again":
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
h = signal.getsignal(signal.SIGTERM)
print("getsignal:", getattr(h, "__name__", h), flush=True)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(0.2)  # a handler runs here at the latest
print("still running", flush=True)
'''


@pytest.mark.parametrize("mode", ["handler", "ignore", "default_again"])
def test_program_sigterm_disposition_governs_as_untraced(ftrace, mode):
    prog = ftrace.write_program(OWN_HANDLER_PROG)
    untraced = ftrace.run_untraced(prog, [mode])
    rec = ftrace.record(prog, [mode], check=False)
    expected_rc = {"handler": 5, "ignore": 0, "default_again": -signal.SIGTERM}[mode]
    assert untraced.returncode == expected_rc, untraced.describe()
    assert rec.record.returncode == expected_rc, rec.record.describe()
    assert rec.record.stdout == untraced.stdout, rec.record.describe()
    assert b"ftrace: warning" not in rec.record.stderr, rec.record.describe()
    profile, _ = ftrace.convert_load(rec.trace_dir)
    assert_valid(profile)


FORK_WARNING_PROG = r'''
import os, sys, warnings
warnings.simplefilter("error")  # a DeprecationWarning from os.fork() would raise here

def spin(n):
    return sum(i for i in range(n))

for round in range(3):
    pid = os.fork()  # single-threaded: no "multi-threaded fork" warning untraced (3.12+)
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    for _ in range(300):
        spin(10000)  # some chunks written in between (3.13+ restarts its watchdog at one)
print("forked 3 times, no warning", flush=True)
'''


def test_fork_of_a_single_threaded_program_warns_as_untraced(ftrace):
    # The SIGTERM watchdog thread must not make os.fork() warn about threads (3.12+).
    prog = ftrace.write_program(FORK_WARNING_PROG)
    untraced = ftrace.run_untraced(prog)
    rec = ftrace.record(prog)
    assert untraced.returncode == 0 and untraced.stderr == b"", untraced.describe()
    assert rec.record.stdout == untraced.stdout, rec.record.describe()
    program_err, _ = split_ftrace_line(rec.record.stderr)
    assert program_err == b"", rec.record.describe()
