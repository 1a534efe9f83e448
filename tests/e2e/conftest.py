"""Fixtures for ftrace's end-to-end tests.

Environment:
  FTRACE_BUILD_DIR     build directory holding bin/ftrace (default: <repo>/build)
  FTRACE_TEST_PYTHONS  interpreters to trace, separated by ':' (default: every CPython 3.8-3.13
                       in $(pyenv root)/versions, plus `python3` on PATH; one per version)
  FTRACE_TEST_PYTHON   the interpreter of tests marked `one_python` (default: `python3` on
                       PATH if it is among the above, else the newest of them)

Run with a Python that has pytest (Debian's: /usr/bin/python3 -m pytest tests/e2e). The traced
interpreters are different ones and need nothing installed.

Every test that uses the `test_python` fixture (directly or through `ftrace` /
`ftrace_module`) runs once per interpreter, with ids like `[py3.8]`. Tests that do not depend
on the interpreter (converting damaged input, ...) run once: mark them (or their module, with
`pytestmark = pytest.mark.one_python`) `@pytest.mark.one_python`.
"""
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import profile_validator as pv  # noqa: E402

TIMEOUT = 120  # seconds per subprocess; generous, never a timing assertion
THREAD_FILE_RE = re.compile(r"^t(\d+)-(\d+)\.ftrace$")
PROCESS_DIR_RE = re.compile(r"^p(\d+)-(\d+)$")


def current_format_version() -> str:
    """format_major.format_minor as format/version.h (its one owner) defines it."""
    text = (REPO / "format" / "version.h").read_text()
    major = re.search(r"kFormatMajor\s*=\s*(\d+)", text).group(1)
    minor = re.search(r"kFormatMinor\s*=\s*(\d+)", text).group(1)
    return f"{major}.{minor}"


def build_dir() -> Path:
    return Path(os.environ.get("FTRACE_BUILD_DIR", REPO / "build")).resolve()


def ftrace_path() -> Path:
    return build_dir() / "bin" / "ftrace"


@pytest.fixture(scope="session")
def ftrace_bin() -> Path:
    path = ftrace_path()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"ftrace binary not found at {path}: build it first "
                    f"(cmake -S {REPO} -B build && cmake --build build -j) "
                    f"or set FTRACE_BUILD_DIR", pytrace=False)
    return path


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple  # (major, minor, micro)
    ext_suffix: str

    @property
    def id(self) -> str:
        return "py%d.%d" % self.version[:2]

    def __str__(self) -> str:
        return self.path


SUPPORTED = ((3, 8), (3, 13))  # oldest and newest minor version the recorder supports


def probe(path: str) -> Optional[Interpreter]:
    """Asks `path` for its version and extension suffix (None if it cannot run)."""
    try:
        p = subprocess.run([path, "-c", "import sys, sysconfig; print(sys.version_info[0], "
                            "sys.version_info[1], sys.version_info[2], "
                            "sysconfig.get_config_var('EXT_SUFFIX'))"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return None
    fields = p.stdout.decode().split()
    if p.returncode != 0 or len(fields) != 4:
        return None
    return Interpreter(path, tuple(int(f) for f in fields[:3]), fields[3])


def _pyenv_pythons() -> List[str]:
    root = None
    if shutil.which("pyenv"):
        p = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        root = p.stdout.decode().strip() if p.returncode == 0 else None
    root = root or os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    if not root or not (Path(root) / "versions").is_dir():
        return []
    return [str(p) for p in sorted((Path(root) / "versions").glob("3.*/bin/python3"))]


def _discover_interpreters() -> List[Interpreter]:
    explicit = os.environ.get("FTRACE_TEST_PYTHONS")
    if explicit:
        paths = [p for p in explicit.split(":") if p]
    else:
        paths = _pyenv_pythons() + [shutil.which("python3") or ""]
    found: Dict[tuple, Interpreter] = {}
    for path in paths:
        interp = probe(path) if path else None
        if interp is None:
            if explicit:  # a named interpreter that does not run is an error, not a skip
                raise pytest.UsageError(f"FTRACE_TEST_PYTHONS: cannot run {path}")
            continue
        if not explicit and not (SUPPORTED[0] <= interp.version[:2] <= SUPPORTED[1]):
            continue
        found.setdefault(interp.version[:2], interp)  # one per minor version
    return sorted(found.values(), key=lambda i: i.version)


def _default_interpreter(interps: List[Interpreter]) -> Optional[Interpreter]:
    want = os.environ.get("FTRACE_TEST_PYTHON") or shutil.which("python3")
    if want:
        probed = probe(want)
        for i in interps:
            if i.path == want or (probed and i.version == probed.version):
                return i
        if os.environ.get("FTRACE_TEST_PYTHON") and probed:
            return probed
    return interps[-1] if interps else None


INTERPRETERS = _discover_interpreters()
DEFAULT_INTERPRETER = _default_interpreter(INTERPRETERS)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "one_python: run on one interpreter only (the test does not depend on it)")


def pytest_report_header(config):
    return ["ftrace: interpreters under test: " +
            ", ".join(f"{i.id}={i.path}" for i in INTERPRETERS)]


def pytest_generate_tests(metafunc):
    """Parametrizes `test_python` (and so every test using `ftrace`/`ftrace_module`) over the
    interpreters; `one_python` tests get the default interpreter only."""
    if "test_python" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("one_python"):
        interps = [DEFAULT_INTERPRETER] if DEFAULT_INTERPRETER else []
    else:
        interps = INTERPRETERS
    metafunc.parametrize("test_python", interps, ids=[i.id for i in interps], indirect=True,
                         scope="session")


# Known failures on some interpreters, each with its cause: expected to fail there (strict: a
# test that starts passing must be taken off this list). Keyed on the test function's name;
# the predicate takes (major, minor). Fix the cause, then delete the entry.
KNOWN_FAILURES: Dict[str, list] = {}


# Seen failing intermittently (not every run): not strict, so a pass does not fail the suite.
# (test name, version) -> (reason, substring the test id must contain).
FLAKY = {
    ("test_counter_matches_recorder_accounting", (3, 13)): (
        "the memory hooks counted one untracked block on 3.13 in some runs in session 1 (its "
        "cause then was fixed by 1e78740); not reproduced since in ~80 runs, alone and in the "
        "suite (sessions 2-3); kept non-strict until it has stayed green in CI for a while", ""),
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        interp = getattr(item, "callspec", None) and item.callspec.params.get("test_python")
        if not isinstance(interp, Interpreter):
            continue
        for applies, reason in KNOWN_FAILURES.get(item.originalname, []):
            if applies(interp.version[:2]):
                item.add_marker(pytest.mark.xfail(reason=f"{interp.id}: {reason}", strict=True))
        flaky = FLAKY.get((item.originalname, interp.version[:2]))
        if flaky and flaky[1] in item.name:
            item.add_marker(pytest.mark.xfail(reason=f"{interp.id}: {flaky[0]}", strict=False))


@pytest.fixture(scope="session")
def test_python(request) -> str:
    """The interpreter to trace (its path); parametrized, see pytest_generate_tests."""
    interp = getattr(request, "param", None)
    if interp is None:
        pytest.fail("no interpreter to trace: set FTRACE_TEST_PYTHONS or put python3 on PATH",
                    pytrace=False)
    return interp.path


@pytest.fixture(scope="session")
def test_interpreter(test_python) -> Interpreter:
    """The interpreter under test with its version, for version-dependent expectations."""
    return next(i for i in INTERPRETERS + [DEFAULT_INTERPRETER] if i and i.path == test_python)


@dataclass
class Run:
    args: List[str]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    def describe(self) -> str:
        return (f"$ {' '.join(map(str, self.args))}\nexit {self.returncode}\n"
                f"--- stdout ---\n{self.out[-4000:]}\n--- stderr ---\n{self.err[-4000:]}")


def run(args, cwd=None, input: Optional[bytes] = None, env=None) -> Run:
    args = [str(a) for a in args]
    p = subprocess.run(args, cwd=cwd, input=input if input is not None else b"",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, env=env)
    return Run(args, p.returncode, p.stdout, p.stderr)


def interpreter_named_on_path(python: str, where: Path) -> dict:
    """An environment whose PATH finds `python` first under the names programs call an
    interpreter by (python, python3, python3.X), so that a program's children run the
    interpreter under test, not whichever one happens to be on PATH (pyenv puts only its
    global version there). The names are symlinks to `python` in `where`/bin."""
    interp = next((i for i in INTERPRETERS if i.path == python), None) or probe(python)
    assert interp is not None, f"cannot run {python}"
    bindir = Path(where) / "bin"
    bindir.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3", "python%d.%d" % interp.version[:2]):
        link = bindir / name
        if not link.is_symlink():
            link.symlink_to(os.path.realpath(python))
    return dict(os.environ, PATH=str(bindir) + os.pathsep + os.environ.get("PATH", ""))


def split_ftrace_line(stderr: bytes):
    """Splits record's stderr into (program's stderr, ftrace's final line) or (stderr, None)."""
    idx = stderr.rfind(b"ftrace:")
    if idx < 0 or (idx > 0 and stderr[idx - 1:idx] != b"\n"):
        return stderr, None
    return stderr[:idx], stderr[idx:]


def thread_files(trace_dir: Path) -> Dict[str, List[Path]]:
    """process folder name -> its thread files (sorted)."""
    out = {}
    for p in sorted(Path(trace_dir).iterdir()):
        if p.is_dir() and PROCESS_DIR_RE.match(p.name):
            out[p.name] = sorted(f for f in p.iterdir() if THREAD_FILE_RE.match(f.name))
    return out


def thread_file_for_tid(trace_dir: Path, tid: int) -> Path:
    found = [f for files in thread_files(trace_dir).values() for f in files
             if int(THREAD_FILE_RE.match(f.name).group(2)) == tid]
    assert len(found) == 1, f"expected one thread file for tid {tid} in {trace_dir}: {found}"
    return found[0]


@dataclass
class Recording:
    trace_dir: Path
    record: Run
    program_dir: Path
    expected: Optional[dict] = None
    converted: Dict[str, Run] = field(default_factory=dict)


class Ftrace:
    """Drives the ftrace CLI for one test (or one module, with module-scoped fixtures)."""

    def __init__(self, binary: Path, python: str, workdir: Path):
        self.binary = binary
        self.python = python
        self.workdir = workdir

    def write_program(self, source: str, name: str = "prog.py", where: Optional[Path] = None
                      ) -> Path:
        where = where or self.workdir
        where.mkdir(parents=True, exist_ok=True)
        path = where / name
        path.write_text(source)
        return path

    def run_untraced(self, prog: Path, args=(), cwd=None, input=None) -> Run:
        return run([self.python, prog, *args], cwd=cwd or prog.parent, input=input)

    def record(self, prog: Path, args=(), out: Optional[Path] = None, cwd=None, input=None,
               python: Optional[str] = None, check: bool = True, options=()) -> Recording:
        """`ftrace record -o OUT [OPTIONS] -- PY prog args`; OUT defaults to a fresh dir in
        workdir. With check, the run must exit 0 and leave OUT behind."""
        if out is None:
            n = 0
            while (self.workdir / f"trace{n}.dir").exists():
                n += 1
            out = self.workdir / f"trace{n}.dir"
        r = run([self.binary, "record", "-o", out, *options, "--", python or self.python, prog,
                 *args],
                cwd=cwd or prog.parent, input=input)
        if check:
            assert r.returncode == 0, r.describe()
            assert out.is_dir(), f"record did not create {out}\n{r.describe()}"
        return Recording(trace_dir=out, record=r, program_dir=prog.parent)

    def convert(self, trace_dir: Path, out: Optional[Path] = None, check: bool = True,
                extra=()) -> Run:
        args = [self.binary, "convert", *extra]
        if out is not None:
            args += ["-o", out]
        args.append(trace_dir)
        r = run(args, cwd=self.workdir)
        if check:
            assert r.returncode == 0, r.describe()
            if out is not None:
                assert Path(out).is_file(), f"convert did not write {out}\n{r.describe()}"
        return r

    def convert_load(self, trace_dir: Path, out: Optional[Path] = None, extra=()):
        """Converts to OUT (default TRACE_DIR.json next to it) and returns (profile, run)."""
        out = out or Path(str(trace_dir) + ".json")
        r = self.convert(trace_dir, out, extra=extra)
        return pv.load_profile(str(out)), r

    def record_as_untraced(self, prog: Path, args=()):
        """Runs PROG untraced (it must exit 0), then records it: the recorded run must exit 0
        with the same stdout and, apart from ftrace's final line, the same stderr. Returns
        (untraced run, recording, converted profile)."""
        plain = self.run_untraced(prog, args)
        assert plain.returncode == 0, plain.describe()
        rec = self.record(prog, args)
        assert rec.record.stdout == plain.stdout, rec.record.describe()
        err, line = split_ftrace_line(rec.record.stderr)
        assert line is not None, rec.record.describe()
        assert err == plain.stderr, rec.record.describe()
        profile, _ = self.convert_load(rec.trace_dir)
        assert_valid(profile)
        return plain, rec, profile

    def info(self, trace_dir: Path) -> Run:
        return run([self.binary, "info", trace_dir], cwd=self.workdir)


@pytest.fixture
def ftrace(ftrace_bin, test_python, tmp_path) -> Ftrace:
    return Ftrace(ftrace_bin, test_python, tmp_path)


@pytest.fixture(scope="module")
def ftrace_module(ftrace_bin, test_python, tmp_path_factory) -> Ftrace:
    return Ftrace(ftrace_bin, test_python, tmp_path_factory.mktemp("mod"))


def assert_valid(profile, what="profile"):
    problems = pv.validate(profile)
    assert not problems, f"{what} is not valid:\n  " + "\n  ".join(problems[:40])


def load_json(path: Path):
    return json.loads(Path(path).read_text())
