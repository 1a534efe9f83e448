"""format/FORMAT.md's "read a thread file with standard tools" commands, run exactly as
written (the blocks after `<!-- doc-test: ... -->`) on a committed fixture."""
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO

DOC = REPO / "format" / "FORMAT.md"
FIXTURE = REPO / "tests" / "fixtures" / "format-1.0" / "calls.dir"


def doc_block(kind: str) -> str:
    m = re.search(r"<!-- doc-test: " + kind + r" -->\s*```\w+\n(.*?)```", DOC.read_text(), re.S)
    assert m, f"no '{kind}' doc-test block in {DOC}"
    return textwrap.dedent(m.group(1))


@pytest.mark.skipif(not (shutil.which("lz4") and shutil.which("flatc")), reason="needs lz4 and flatc")
def test_documented_commands_read_a_thread_file(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "trace.dir")
    (tmp_path / "format").mkdir()
    os.symlink(REPO / "format" / "schema", tmp_path / "format" / "schema")
    r = subprocess.run(["bash", "-euo", "pipefail", "-c", doc_block("shell")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    chunk = json.loads((tmp_path / "chunk0.json").read_text())
    assert chunk["format_major"] == 1 and chunk["format_minor"] == 0 and chunk["seq"] == 0
    assert chunk["process"]["argv"][1:] == ["calls.py"]
    assert chunk["thread"]["name"] == "MainThread"
    assert chunk["process"]["clock"] == "Tsc" and chunk["last"] is True  # shown by --defaults-json
    assert any(f["qualname"] == "fib" for f in chunk["funcs"])
    # The split found every chunk: their sizes add up to the decompressed file.
    chunks = sorted(tmp_path.glob("chunk[0-9]*.bin"))
    assert sum(p.stat().st_size for p in chunks) == (tmp_path / "chunks.bin").stat().st_size

    r = subprocess.run([sys.executable, "-c", doc_block("python")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    n = int(r.stdout.split()[0])
    # As many events as ftrace itself reads from this file (the committed info expectation).
    info = json.loads((FIXTURE.parent / "expected" / "calls.info.json").read_text())
    assert n == chunk["event_count"] == info["processes"][0]["threads"][0]["events"] > 0
    assert "'PyCall'" in r.stdout


def test_every_reader_limit_of_version_h_is_documented_with_its_value():
    """version.h owns the limits readers enforce; FORMAT.md must name each one with its value."""
    header = (REPO / "format" / "version.h").read_text()
    limits = re.findall(r"constexpr\s+\w+\s+(kMax\w+)\s*=\s*([^;]+);", header)
    assert {name for name, _ in limits} >= {"kMaxChunkBytes", "kMaxChunkEvents"}, limits
    lines = DOC.read_text().splitlines()
    for name, expr in limits:
        value = eval(re.sub(r"(?<=\d)(ull|ul|u|ll|l)\b", "", expr, flags=re.I), {})
        spellings = {str(value), f"{value:,}"}
        for unit, shift in (("Mi", 20), ("MiB", 20), ("MB", 20), ("Ki", 10), ("KiB", 10)):
            if value % (1 << shift) == 0:
                spellings.add(f"{value >> shift} {unit}")
        where = [i for i, line in enumerate(lines) if name in line]
        assert where, f"{DOC} does not mention {name} (format/version.h)"
        # The value may be on the line naming the constant or on the line before it.
        text = " ".join(lines[max(0, where[0] - 1):where[0] + 1])
        assert any(s in text for s in spellings), f"{DOC}: {name} = {value} is not given next to it"
