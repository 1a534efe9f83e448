"""Hostile input to `ftrace convert`, `ftrace info` and `ftrace report`: every problem is named (file, offset),
everything readable still converts, nothing crashes, hangs or follows a link out of the trace."""
import json
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import profile_validator as pv
from conftest import assert_valid, run, thread_files

pytestmark = pytest.mark.one_python  # about the reader, not the interpreter

LZ4_MAGIC = b"\x04\x22\x4d\x18"
SCHEMA = Path(__file__).resolve().parents[2] / "format" / "schema" / "trace.fbs"

PROG = """
import json, sys, threading
def work(c):
    c[0] += 1
def run(c, n):
    for _ in range(n):
        work(c)
counts = {}
def body(name, n):
    c = [0]; run(c, n); counts[name] = c[0]
ts = [threading.Thread(target=body, args=(f"w{i}", 3000 * (i + 1)), name=f"w{i}") for i in range(2)]
for t in ts:  # one after the other: w0 is thread file t1, w1 is t2
    t.start(); t.join()
json.dump(counts, open(sys.argv[1], "w"))
"""


@pytest.fixture(scope="module")
def small(ftrace_module):
    ft = ftrace_module
    prog = ft.write_program(PROG, "hostile_prog.py", ft.workdir / "app")
    rec = ft.record(prog, ["expected.json"], out=ft.workdir / "small.dir")
    rec.expected = json.loads((prog.parent / "expected.json").read_text())
    return rec


@pytest.fixture
def trace(small, tmp_path):
    dst = tmp_path / "t.dir"
    shutil.copytree(small.trace_dir, dst, symlinks=True)
    return dst


def _no_crash(r):
    assert r.returncode in (0, 1), r.describe()
    for bad in ("terminate called", "Segmentation", "AddressSanitizer", "runtime error:",
                "Aborted", "core dumped", "LeakSanitizer"):
        assert bad not in r.err, r.describe()


def _worker_file(trace, name_index):
    (proc,) = thread_files(trace).values()
    return [f for f in proc if f.name.startswith(f"t{name_index}-")][0]


def _convert(ftrace, trace, expect_ok=True):
    out = trace.parent / "out.json"
    if out.exists():
        out.unlink()
    r = ftrace.convert(trace, out, check=False)
    _no_crash(r)
    i = ftrace.info(trace)
    _no_crash(i)
    rep = run([ftrace.binary, "report", trace], cwd=trace.parent)
    _no_crash(rep)
    assert rep.returncode == r.returncode, rep.describe()
    if expect_ok:
        assert r.returncode == 0, r.describe()
        profile = pv.load_profile(str(out))
        assert_valid(profile)
        return profile, r
    return None, r


def _counts(profile, name):
    return pv.call_counts(profile, name)["work"] if name in pv.thread_names(profile) else None


def test_random_mutations_never_crash_and_keep_other_threads(ftrace, trace, small):
    """40 seeded mutations of one worker's file (bit flips, truncation, random bytes, splices):
    the other worker always converts exactly; the mutated one never converts more calls."""
    rng = random.Random(7)
    victim = _worker_file(trace, 2)
    pristine = victim.read_bytes()
    for i in range(40):
        data = bytearray(pristine)
        kind = i % 5
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data = data[:rng.randrange(len(data))]
        elif kind == 2:
            data = bytearray(os.urandom(rng.randint(0, 5000)))
        elif kind == 3:
            at = rng.randrange(len(data))
            data[at:at] = LZ4_MAGIC + os.urandom(rng.randint(0, 64))
        else:
            data = data + data[: rng.randrange(len(data))]  # a duplicated, cut frame
        victim.write_bytes(bytes(data))
        profile, r = _convert(ftrace, trace, expect_ok=None)
        if r.returncode == 0:
            profile = pv.load_profile(str(trace.parent / "out.json"))
            assert_valid(profile, f"mutation {i}")
            assert _counts(profile, "w0") == small.expected["w0"], f"mutation {i}"
            got = _counts(profile, "w1")
            assert got is None or got <= small.expected["w1"] or kind == 4, f"mutation {i}"
        if bytes(data) != pristine and kind in (0, 1, 2):
            assert victim.name in r.err, f"mutation {i} not reported\n{r.describe()}"


def _forge_future_major(frame_file: Path, major: int, tmp: Path) -> bytes:
    """Decompresses the file's first frame, sets format_major, re-encodes it (flatc + lz4)."""
    payload = subprocess.run(["lz4", "-dc", str(frame_file)], capture_output=True, check=True).stdout
    (tmp / "c.bin").write_bytes(payload)
    subprocess.run(["flatc", "--json", "--raw-binary", "--size-prefixed", "--strict-json",
                    "-o", str(tmp), str(SCHEMA), "--", str(tmp / "c.bin")], check=True,
                   capture_output=True)
    doc = json.loads((tmp / "c.json").read_text())
    doc["format_major"] = major
    (tmp / "c.json").write_text(json.dumps(doc))
    subprocess.run(["flatc", "--binary", "--size-prefixed", "-o", str(tmp), str(SCHEMA),
                    str(tmp / "c.json")], check=True, capture_output=True)
    return subprocess.run(["lz4", "-c", "--content-size", str(tmp / "c.bin")],
                          capture_output=True, check=True).stdout


def test_future_version_file_is_refused_by_name(ftrace, trace, small, tmp_path):
    victim = _worker_file(trace, 2)
    victim.write_bytes(_forge_future_major(victim, 99, tmp_path))
    profile, r = _convert(ftrace, trace)
    assert victim.name in r.err and "format version 99." in r.err and "upgrade ftrace" in r.err, r.describe()
    assert _counts(profile, "w0") == small.expected["w0"]
    assert "w1" not in pv.thread_names(profile)


def test_foreign_lz4_and_text_files(ftrace, trace, small, tmp_path):
    (proc,) = thread_files(trace)
    foreign = trace / proc / "t7-7.ftrace"
    (tmp_path / "hello.txt").write_text("hello, not a trace\n" * 50)
    foreign.write_bytes(subprocess.run(["lz4", "-c", str(tmp_path / "hello.txt")],
                                       capture_output=True, check=True).stdout)
    text = trace / proc / "t8-8.ftrace"
    text.write_text("#!/bin/sh\necho hi\n")
    profile, r = _convert(ftrace, trace)
    assert f"{foreign}: offset 0: not an ftrace chunk" in r.err, r.describe()
    assert f"{text}: offset 0: not an ftrace thread file" in r.err, r.describe()
    assert _counts(profile, "w1") == small.expected["w1"]


def test_symlinks_are_never_followed(ftrace, trace, small, tmp_path):
    """A process folder and a thread file that are symlinks to real trace data outside the
    trace directory: reported and skipped, their content never read."""
    outside = tmp_path / "outside"
    shutil.copytree(trace, outside / "copy.dir")
    (oproc,) = thread_files(outside / "copy.dir")
    (proc,) = thread_files(trace)
    linked_proc = trace / "p999999-1"
    linked_proc.symlink_to(outside / "copy.dir" / oproc)
    linked_file = trace / proc / "t9-9.ftrace"
    linked_file.symlink_to(_worker_file(outside / "copy.dir", 1))
    profile, r = _convert(ftrace, trace)
    assert "p999999-1" in r.err and "t9-9.ftrace" in r.err, r.describe()
    assert len(pv.processes(profile)) == 1
    assert sorted(pv.thread_names(profile)) == ["MainThread", "w0", "w1"]


def test_fifo_directory_and_file_in_the_wrong_places(ftrace, trace, small):
    (proc,) = thread_files(trace)
    os.mkfifo(trace / proc / "t5-5.ftrace")          # would block a plain open()
    (trace / proc / "t6-6.ftrace").mkdir()            # a folder where a file should be
    (trace / "p777-7").write_text("a file where a process folder should be")
    profile, r = _convert(ftrace, trace)
    for name in ("t5-5.ftrace", "t6-6.ftrace", "p777-7"):
        assert name in r.err, r.describe()
    assert _counts(profile, "w0") == small.expected["w0"]


def _as_other_user():
    """Command prefix that makes permission bits bite (root ignores them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv")
    return [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_unreadable_file_and_folder(ftrace, small):
    top = Path(tempfile.mkdtemp(prefix="ftrace-unreadable-"))
    try:
        top.chmod(0o777)
        trace = top / "t.dir"
        shutil.copytree(small.trace_dir, trace)
        for p in [trace, *trace.rglob("*")]:
            p.chmod(0o755 if p.is_dir() else 0o644)
        (proc,) = thread_files(trace)
        secret = _worker_file(trace, 2)
        secret.chmod(0o000)
        locked = trace / "p888-8"
        shutil.copytree(trace / proc, locked)
        locked.chmod(0o000)
        out = top / "out.json"
        r = run([*_as_other_user(), ftrace.binary, "convert", "-o", out, trace], cwd=top)
        _no_crash(r)
        assert r.returncode == 0, r.describe()
        assert f"{secret}: offset 0: cannot open: Permission denied" in r.err, r.describe()
        assert "p888-8: cannot list" in r.err, r.describe()
        profile = pv.load_profile(str(out))
        assert_valid(profile)
        assert sorted(pv.thread_names(profile)) == ["MainThread", "w0"]
        assert _counts(profile, "w0") == small.expected["w0"]
    finally:
        for p in [top, *top.rglob("*")]:
            try:
                p.chmod(0o700)
            except OSError:
                pass
        shutil.rmtree(top, ignore_errors=True)


def test_huge_sparse_thread_file(ftrace, trace, small):
    """A thread file claiming gigabytes (sparse): scanned, reported, no memory blow-up."""
    victim = _worker_file(trace, 1)
    with open(victim, "r+b") as f:
        f.truncate(1 << 30)
    profile, r = _convert(ftrace, trace)
    assert victim.name in r.err, r.describe()
    assert _counts(profile, "w0") == small.expected["w0"]  # its real chunks precede the hole


def test_exit_codes_documented(ftrace):
    for sub in ("convert", "info", "report"):
        r = run([ftrace.binary, sub, "--help"])
        assert r.returncode == 0 and "Exit codes:" in r.out, r.describe()
