"""`ftrace convert` and `ftrace info`: output paths, compression, damaged and foreign input."""
import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

import profile_validator as pv
from conftest import HERE, assert_valid, run, thread_file_for_tid, thread_files

PROGRAM = HERE / "programs" / "victim_prog.py"
LZ4_MAGIC = b"\x04\x22\x4d\x18"

# Conversion of one recording: the same whichever interpreter made it (the record → convert
# path of every interpreter is covered by test_record_convert.py).
pytestmark = pytest.mark.one_python


@pytest.fixture(scope="module")
def pristine(ftrace_module):
    """One recording of victim_prog.py; tests work on copies of its trace directory."""
    ft = ftrace_module
    prog_dir = ft.workdir / "app"
    prog_dir.mkdir()
    prog = prog_dir / "victim_prog.py"
    shutil.copy(PROGRAM, prog)
    rec = ft.record(prog, ["expected.json"], out=ft.workdir / "pristine.dir")
    rec.expected = json.loads((prog_dir / "expected.json").read_text())
    return rec


@pytest.fixture
def trace_copy(pristine, tmp_path):
    dst = tmp_path / "trace.dir"
    shutil.copytree(pristine.trace_dir, dst)
    return dst


def _output(r):
    return r.out + r.err


def _assert_exact_counts(profile, expected, threads):
    for name in threads:
        want = expected["threads"][name]["calls"]
        counts = pv.call_counts(profile, name)
        assert {q: counts.get(q, 0) for q in want} == want, name


def _assert_no_crash(r):
    assert r.returncode >= 0, f"killed by signal {-r.returncode}\n{r.describe()}"
    for bad in ("terminate called", "Segmentation", "AddressSanitizer", "runtime error:",
                "Aborted", "core dumped"):
        assert bad not in r.err, r.describe()


# ---- normal conversion -----------------------------------------------------------------------

def test_pristine_converts_exactly(ftrace, trace_copy, pristine):
    profile, _ = ftrace.convert_load(trace_copy)
    assert_valid(profile)
    assert sorted(pv.thread_names(profile)) == sorted(pristine.expected["threads"])
    _assert_exact_counts(profile, pristine.expected, pristine.expected["threads"])


def test_default_output_path_next_to_dir(ftrace, trace_copy, tmp_path):
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    before = set(trace_copy.parent.iterdir())
    r = run([ftrace.binary, "convert", trace_copy], cwd=elsewhere)
    assert r.returncode == 0, r.describe()
    assert list(elsewhere.iterdir()) == [], "default output went to the cwd, not next to DIR"
    new = sorted(set(trace_copy.parent.iterdir()) - before)
    assert len(new) == 1 and new[0].is_file(), f"new files next to the trace: {new}\n{r.describe()}"
    out = new[0]
    assert out.name.endswith((".json", ".json.gz")), out
    assert str(out) in _output(r) or out.name in _output(r), \
        f"convert did not say where the profile is\n{r.describe()}"
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    assert list(trace_copy.rglob("*.json*")) == [], "profile written inside the trace dir"


def test_json_and_gz_outputs(ftrace, trace_copy, tmp_path):
    plain_path, gz_path = tmp_path / "out.json", tmp_path / "out.json.gz"
    r1 = ftrace.convert(trace_copy, plain_path)
    r2 = ftrace.convert(trace_copy, gz_path)
    assert plain_path.name in _output(r1), r1.describe()
    assert gz_path.name in _output(r2), r2.describe()
    raw = plain_path.read_bytes()
    assert raw.lstrip()[:1] == b"{", raw[:20]
    packed = gz_path.read_bytes()
    assert packed[:3] == b"\x1f\x8b\x08", packed[:10]
    a, b = json.loads(raw), json.loads(gzip.decompress(packed))
    assert_valid(a, "json profile")
    assert_valid(b, "gz profile")
    assert a == b, "same trace, different profiles (.json vs .json.gz)"


def test_conversion_is_deterministic(ftrace, trace_copy, tmp_path):
    ftrace.convert(trace_copy, tmp_path / "a.json")
    ftrace.convert(trace_copy, tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_info_names_threads_and_events(ftrace, trace_copy, pristine):
    r = ftrace.info(trace_copy)
    assert r.returncode == 0, r.describe()
    for name in pristine.expected["threads"]:
        assert name in r.out, f"thread {name} not in info output\n{r.describe()}"
    assert "event" in r.out.lower(), r.describe()
    assert str(pristine.expected["pid"]) in r.out, r.describe()


# ---- damaged input -----------------------------------------------------------------------------

def _victim_file(trace_dir, pristine):
    return thread_file_for_tid(trace_dir, pristine.expected["threads"]["victim"]["tid"])


def _convert_damaged(ftrace, trace_dir, damaged: Path, pristine):
    out = trace_dir.parent / "damaged.json"
    r = ftrace.convert(trace_dir, out, check=False)
    _assert_no_crash(r)
    assert r.returncode == 0, r.describe()
    assert damaged.name in _output(r), f"no warning naming {damaged.name}\n{r.describe()}"
    profile = pv.load_profile(str(out))
    assert_valid(profile, "profile of a damaged trace")
    # Everything else converts exactly.
    _assert_exact_counts(profile, pristine.expected, ["bystander", "MainThread"])
    return profile, r


def test_truncated_thread_file(ftrace, trace_copy, pristine):
    victim = _victim_file(trace_copy, pristine)
    data = victim.read_bytes()
    frames = data.count(LZ4_MAGIC)
    victim.write_bytes(data[:-7])
    profile, _ = _convert_damaged(ftrace, trace_copy, victim, pristine)
    want = pristine.expected["threads"]["victim"]["calls"]["tick"]
    names = pv.thread_names(profile)
    got = pv.call_counts(profile, "victim")["tick"] if "victim" in names else 0
    assert got <= want
    if frames >= 2:
        # Only the damaged last chunk may be lost: earlier chunks still convert.
        assert "victim" in names and got > 0, \
            f"victim file had {frames} LZ4 frames but nothing of it converted"


def test_flipped_bytes_in_thread_file(ftrace, trace_copy, pristine):
    victim = _victim_file(trace_copy, pristine)
    data = bytearray(victim.read_bytes())
    mid = len(data) // 2
    for i in range(mid, min(mid + 16, len(data))):
        data[i] ^= 0xA5
    victim.write_bytes(bytes(data))
    profile, _ = _convert_damaged(ftrace, trace_copy, victim, pristine)
    if "victim" in pv.thread_names(profile):
        counts = pv.call_counts(profile, "victim")
        assert counts["tick"] < pristine.expected["threads"]["victim"]["calls"]["tick"], \
            "corrupted bytes went unnoticed: every call still converted"


def test_foreign_and_empty_files_in_process_folder(ftrace, trace_copy, pristine):
    (proc,) = thread_files(trace_copy)
    folder = trace_copy / proc
    foreign = folder / "notes.txt"
    foreign.write_text("not a trace file\n")
    empty = folder / "t99-424242.ftrace"
    empty.write_bytes(b"")
    out = trace_copy.parent / "foreign.json"
    r = ftrace.convert(trace_copy, out, check=False)
    _assert_no_crash(r)
    assert r.returncode == 0, r.describe()
    for f in (foreign, empty):
        assert f.name in _output(r), f"no warning naming {f.name}\n{r.describe()}"
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    assert sorted(pv.thread_names(profile)) == sorted(pristine.expected["threads"])
    _assert_exact_counts(profile, pristine.expected, pristine.expected["threads"])


def test_garbage_thread_file(ftrace, trace_copy, pristine):
    (proc,) = thread_files(trace_copy)
    garbage = trace_copy / proc / "t98-434343.ftrace"
    garbage.write_bytes(bytes(range(256)) * 8)
    out = trace_copy.parent / "garbage.json"
    r = ftrace.convert(trace_copy, out, check=False)
    _assert_no_crash(r)
    assert r.returncode == 0, r.describe()
    assert garbage.name in _output(r), r.describe()
    profile = pv.load_profile(str(out))
    assert_valid(profile)
    _assert_exact_counts(profile, pristine.expected, pristine.expected["threads"])


def _not_a_trace(kind, tmp_path):
    if kind == "empty-dir":
        p = tmp_path / "empty"
        p.mkdir()
    elif kind == "dir-of-text":
        p = tmp_path / "texts"
        p.mkdir()
        (p / "a.txt").write_text("hello")
        (p / "sub").mkdir()
        (p / "sub" / "b.ftrace").write_bytes(b"\x00" * 100)
    elif kind == "regular-file":
        p = tmp_path / "file.txt"
        p.write_text("hello")
    else:
        p = tmp_path / "does-not-exist"
    return p


@pytest.mark.parametrize("kind", ["empty-dir", "dir-of-text", "regular-file", "missing"])
def test_not_a_trace_directory(ftrace, tmp_path, kind):
    path = _not_a_trace(kind, tmp_path)
    out = tmp_path / "out.json"
    r = ftrace.convert(path, out, check=False)
    _assert_no_crash(r)
    assert r.returncode > 0, r.describe()
    assert r.err.strip(), f"no error message\n{r.describe()}"
    assert path.name in r.err or "trace" in r.err.lower(), r.describe()
    assert not out.exists(), "an output profile was written for a non-trace"


@pytest.mark.parametrize("kind", ["empty-dir", "missing"])
def test_info_on_not_a_trace(ftrace, tmp_path, kind):
    r = ftrace.info(_not_a_trace(kind, tmp_path))
    _assert_no_crash(r)
    assert r.returncode > 0, r.describe()
    assert r.err.strip(), r.describe()


def test_version_flags(ftrace_bin):
    """`ftrace --version` and `ftrace convert --version`: the release (CMakeLists.txt) and the
    formats each side writes/reads (format/version.h, the validator's profile version)."""
    from conftest import REPO, current_format_version
    import re
    release = re.search(r"project\(ftrace VERSION (\S+)", (REPO / "CMakeLists.txt").read_text()).group(1)
    rec = run([ftrace_bin, "--version"])
    assert rec.returncode == 0, rec.describe()
    assert rec.out.strip() == f"ftrace {release} (writes trace format {current_format_version()})"
    conv = run([ftrace_bin, "convert", "--version"])  # the launcher hands it to ftrace-convert
    assert conv.returncode == 0, conv.describe()
    major = current_format_version().split(".")[0]
    assert conv.out.startswith(f"ftrace-convert {release} (reads trace format 1.0 to {major}.x")
    assert f"version {pv.PROCESSED_PROFILE_VERSION})" in conv.out
