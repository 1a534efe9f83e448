"""Hostile environment for `ftrace record`: a vanished or unwritable trace directory, a full
disk (RLIMIT_FSIZE), descriptor exhaustion with thousands of threads, planted symlinks. The
program's output and exit code never change; at most one `ftrace: warning:` line."""
import os
import resource
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

import profile_validator as pv
from conftest import TIMEOUT, Run, assert_valid, build_dir, split_ftrace_line, thread_files


def _warnings(stderr: bytes):
    return [l for l in stderr.decode("utf-8", "replace").splitlines() if l.startswith("ftrace: warning:")]


def _run(args, cwd, env=None, preexec=None):
    p = subprocess.run([str(a) for a in args], cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=TIMEOUT, env=env, preexec_fn=preexec)
    return Run([str(a) for a in args], p.returncode, p.stdout, p.stderr)


def _same_program_behaviour(untraced, traced):
    assert traced.returncode == untraced.returncode, traced.describe()
    assert traced.stdout == untraced.stdout, traced.describe()
    program_err, _ = split_ftrace_line(traced.stderr)
    program_err = b"".join(l for l in program_err.splitlines(keepends=True)
                           if not l.startswith(b"ftrace: warning:"))
    assert program_err == untraced.stderr, traced.describe()


WORK = """
import os, sys, threading
def f(c): c[0] += 1
def work(n):
    c = [0]
    for _ in range(n): f(c)
    return c[0]
"""

VANISH = WORK + """
import shutil
print(work(10000))
d = os.environ.get("FTRACE_DIR")
if d:
    shutil.rmtree(d)                       # the trace directory disappears mid-run
print(work(100000))                        # fills buffers: the next write fails
t = threading.Thread(target=work, args=(1000,)); t.start(); t.join()
print("done", file=sys.stderr)
sys.exit(5)
"""


def test_trace_dir_removed_mid_run(ftrace):
    prog = ftrace.write_program(VANISH)
    untraced = ftrace.run_untraced(prog)
    rec = ftrace.record(prog, check=False)
    _same_program_behaviour(untraced, rec.record)
    w = _warnings(rec.record.stderr)
    assert len(w) == 1 and "untraced" in w[0], rec.record.describe()
    assert b"no longer exists" in rec.record.stderr, rec.record.describe()


@pytest.mark.one_python  # the write path is the same on every interpreter
def test_unwritable_trace_dir(ftrace, tmp_path, test_python):
    """FTRACE_DIR below a regular file (as root, permission bits would not stop a write)."""
    prog = ftrace.write_program(WORK + "print(work(100000))\nsys.exit(3)\n")
    untraced = ftrace.run_untraced(prog)
    (tmp_path / "file").write_text("x")
    env = dict(os.environ, FTRACE_DIR=str(tmp_path / "file" / "trace.dir"),
               FTRACE_PKGROOT=str(build_dir() / "python"),
               PYTHONPATH=str(build_dir() / "python" / "ftrace" / "_bootstrap"))
    r = _run([test_python, prog], prog.parent, env=env)
    assert r.returncode == untraced.returncode and r.stdout == untraced.stdout, r.describe()
    w = _warnings(r.stderr)
    assert len(w) == 1 and "file/trace.dir" in w[0] and "untraced" in w[0], r.describe()


@pytest.mark.one_python  # the write path is the same on every interpreter
def test_disk_full(ftrace, tmp_path):
    """RLIMIT_FSIZE: the write fails part-way (EFBIG); what was written still converts."""
    prog = ftrace.write_program(WORK + "print(work(300000))\nprint(work(5))\n")
    untraced = ftrace.run_untraced(prog)
    out = tmp_path / "full.dir"
    limit = 150_000

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    r = _run([ftrace.binary, "record", "-o", out, "--", ftrace.python, prog], prog.parent,
             preexec=small_files)
    _same_program_behaviour(untraced, r)
    w = _warnings(r.stderr)
    assert len(w) == 1 and "File too large" in w[0], r.describe()
    (files,) = thread_files(out).values()
    assert files and all(f.stat().st_size <= limit for f in files)
    conv = ftrace.convert(out, tmp_path / "full.json")
    assert_valid(pv.load_profile(str(tmp_path / "full.json")))
    assert "no final chunk" in conv.err or "truncated" in conv.err, conv.describe()


FDS = WORK + """
import resource
def openable():
    fds = []
    try:
        while True:
            fds.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        pass
    for fd in fds: os.close(fd)
    return len(fds)
def busy(ready, go):
    work(40000)          # 80k events: each thread's buffer is written at least once
    ready.wait(); go.wait()
ready, go = threading.Barrier(61), threading.Event()
alive = [threading.Thread(target=busy, args=(ready, go)) for _ in range(60)]
for t in alive: t.start()
ready.wait()
print("openable with 60 busy threads alive:", openable())
go.set()
for t in alive: t.join()
total = 0
for batch in range(10):  # 2000 short threads, 200 alive at a time
    ts = [threading.Thread(target=work, args=(50,)) for _ in range(200)]
    for t in ts: t.start()
    for t in ts: t.join()
    total += len(ts)
print("threads:", total, "openable:", openable())
"""


@pytest.mark.one_python  # the write path is the same on every interpreter
def test_descriptor_exhaustion_with_thousands_of_threads(ftrace, tmp_path):
    """RLIMIT_NOFILE=64 and 2060 threads: ftrace holds no descriptor between writes, so the
    program can open exactly as many files as without it, and every thread is recorded."""
    prog = ftrace.write_program(FDS)

    def few_fds():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    untraced = _run([ftrace.python, prog], prog.parent, preexec=few_fds)
    assert untraced.returncode == 0, untraced.describe()
    out = tmp_path / "fds.dir"
    r = _run([ftrace.binary, "record", "-o", out, "--", ftrace.python, prog], prog.parent,
             preexec=few_fds)
    _same_program_behaviour(untraced, r)
    assert _warnings(r.stderr) == [], r.describe()
    (files,) = thread_files(out).values()
    assert len(files) == 1 + 60 + 2000
    profile, _ = ftrace.convert_load(out)
    assert len(profile["threads"]) == 1 + 60 + 2000


PLANT = WORK + """
import ftrace
procdir = ftrace._ftrace.process_dir()
def into_trace():
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # the listing's own descriptor, closed meanwhile
        if target.startswith(os.environ["FTRACE_DIR"]):
            found.append(target)
    return found
print(work(100000))  # its buffer has been written: no descriptor stays open
print("fds into the trace:", into_trace())
def victim():
    tid = threading.get_native_id()
    os.symlink(sys.argv[1], os.path.join(procdir, f"t1-{tid}.ftrace"))  # before its first write
    print(work(50000))
t = threading.Thread(target=victim); t.start(); t.join()
"""


def test_planted_symlink_is_not_followed_and_modes(ftrace, tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    prog = ftrace.write_program(PLANT)
    rec = ftrace.record(prog, [precious], check=False)
    assert rec.record.returncode == 0, rec.record.describe()
    assert precious.read_text() == "keep me\n"
    assert b"fds into the trace: []" in rec.record.stdout, rec.record.describe()
    w = _warnings(rec.record.stderr)
    assert len(w) == 1 and "File exists" in w[0], rec.record.describe()
    # Modes: directories 0700, files 0600.
    d = rec.trace_dir
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    for p in d.rglob("*"):
        if p.is_symlink():
            continue
        want = 0o700 if p.is_dir() else 0o600
        assert stat.S_IMODE(p.stat().st_mode) == want, p


@pytest.mark.one_python  # the write path is the same on every interpreter
def test_planted_marker_symlink_in_trace_root(ftrace, tmp_path, test_python):
    """`ftrace.start(DIR)` on a directory whose FTRACE-TRACE is a planted symlink."""
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    d = tmp_path / "api.dir"
    d.mkdir(mode=0o700)
    (d / "FTRACE-TRACE").symlink_to(precious)
    prog = ftrace.write_program(WORK + "print(work(1000))\n")
    env = dict(os.environ, FTRACE_DIR=str(d), FTRACE_PKGROOT=str(build_dir() / "python"),
               PYTHONPATH=str(build_dir() / "python" / "ftrace" / "_bootstrap"))
    r = _run([test_python, prog], prog.parent, env=env)
    assert r.returncode == 0 and r.stdout == b"1000\n", r.describe()
    assert precious.read_text() == "keep me\n"
    profile, _ = ftrace.convert_load(d)
    assert pv.thread_names(profile) == ["MainThread"]
