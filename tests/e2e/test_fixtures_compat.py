"""Compatibility: trace directories recorded by earlier versions of ftrace (tests/fixtures/
format-X.Y/*.dir, never rewritten) must convert to the same profile, report and info, compared
in normalized form (profile_normalize.py) against the committed expectations.

To change an expectation on purpose (a deliberate change of the profile, report or info):
    FTRACE_UPDATE_EXPECTED=1 /usr/bin/python3 -m pytest -q tests/e2e/test_fixtures_compat.py
then review `git diff tests/fixtures` and say why in the commit. See tests/fixtures/README.md.
"""
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import pytest

import profile_normalize as pn
from conftest import REPO, assert_valid, current_format_version, run

FIXTURES = REPO / "tests" / "fixtures"
UPDATE = os.environ.get("FTRACE_UPDATE_EXPECTED") == "1"
FIXTURE_DIRS = sorted(FIXTURES.glob("format-*/*.dir"))


def _id(p: Path) -> str:
    return f"{p.parent.name}/{p.name}"


def first_difference(a, b, path="$"):
    """Where two JSON values first differ, for a readable failure."""
    if type(a) is not type(b):
        return f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'expected' if k in a else 'actual'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        return None
    return None if a == b else f"{path}: {json.dumps(a)[:200]} != {json.dumps(b)[:200]}"


def check_expected(name: str, fixture: Path, actual):
    path = fixture.parent / "expected" / f"{fixture.stem}.{name}.json"
    text = pn.dumps(actual)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        return
    assert path.is_file(), (f"no expectation {path}; create it with FTRACE_UPDATE_EXPECTED=1 "
                            f"(see tests/fixtures/README.md)")
    expected = json.loads(path.read_text())
    actual = json.loads(text)  # the same JSON round trip the expectation went through
    diff = first_difference(expected, actual)
    assert diff is None, (f"{_id(fixture)}: the {name} differs from {path.relative_to(REPO)} at "
                          f"{diff}\n(an intended change? see tests/fixtures/README.md)")


@pytest.fixture
def fixture_copy(request, tmp_path):
    """The fixture under a fixed name in a fresh directory (paths in info/report stay stable)."""
    src = request.param
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return src, dst


def test_the_current_format_version_has_fixtures():
    version = current_format_version()
    here = sorted((FIXTURES / f"format-{version}").glob("*.dir"))
    assert here, (f"format {version} (format/version.h) has no fixtures: record them under "
                  f"tests/fixtures/format-{version}/ as tests/fixtures/README.md says")
    assert len(FIXTURE_DIRS) >= 3


@pytest.mark.parametrize("version_dir", sorted(FIXTURES.glob("format-*")), ids=lambda p: p.name)
def test_fixture_bytes_are_the_committed_ones(version_dir):
    """The fixture directories are archives from the past: never re-recorded, never edited."""
    sums = {}
    for line in (version_dir / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(None, 1)
        sums[os.path.normpath(name)] = digest
    found = {os.path.relpath(p, version_dir): p for p in version_dir.glob("*.dir/**/*") if p.is_file()}
    assert set(found) == set(sums), "files added to or removed from the fixtures"
    for name, p in found.items():
        assert hashlib.sha256(p.read_bytes()).hexdigest() == sums[name], f"{name} was modified"


@pytest.mark.parametrize("fixture_copy", FIXTURE_DIRS, ids=_id, indirect=True)
def test_fixture_converts_to_the_expected_profile(ftrace, fixture_copy):
    src, trace = fixture_copy
    profile, r = ftrace.convert_load(trace, ftrace.workdir / "out.json")
    assert_valid(profile, _id(src))
    check_expected("profile", src, pn.normalize(profile))


@pytest.mark.parametrize("fixture_copy", FIXTURE_DIRS, ids=_id, indirect=True)
def test_fixture_report_is_the_expected_one(ftrace, fixture_copy):
    src, trace = fixture_copy
    r = run([ftrace.binary, "report", "--json", "-n", "0", "--by-thread", trace], cwd=trace.parent)
    assert r.returncode == 0, r.describe()
    j = json.loads(r.out)
    j["traces"] = [os.path.basename(t) for t in j["traces"]]
    j["warnings"] = [w.replace(str(trace.parent) + "/", "") for w in j["warnings"]]
    check_expected("report", src, j)


@pytest.mark.parametrize("fixture_copy", FIXTURE_DIRS, ids=_id, indirect=True)
def test_fixture_info_is_the_expected_one(ftrace, fixture_copy):
    src, trace = fixture_copy
    r = run([ftrace.binary, "info", "--json", trace], cwd=trace.parent)
    assert r.returncode == 0, r.describe()
    text = r.out.replace(str(trace.parent) + "/", "")
    check_expected("info", src, json.loads(text))
