#!/usr/bin/env python3
"""Builds the fuzz seed corpus (tests/fuzz/corpus/) from a real trace directory.

    ftrace record -o small.dir python3 tests/fuzz/seed_prog.py
    python3 tests/fuzz/make_corpus.py small.dir tests/fuzz/corpus

thread_file/: whole thread files (small ones) and their first frame alone.
chunk_payload/: each frame decompressed with `lz4 -dc` (a size-prefixed flatbuffer chunk).
event_codec/: each chunk's ticks and ops columns (read with `flatc --json`) in the fuzz
target's layout: [split byte][u32 count][ticks][ops].
Needs the `lz4` and `flatc` command-line tools.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LZ4_MAGIC = b"\x04\x22\x4d\x18"
SCHEMA = Path(__file__).resolve().parents[2] / "format" / "schema" / "trace.fbs"
MAX_SEED = 64 * 1024


def frames(data):
    starts = [i for i in range(len(data) - 3) if data[i:i + 4] == LZ4_MAGIC] + [len(data)]
    for a, b in zip(starts, starts[1:]):
        r = subprocess.run(["lz4", "-dc"], input=data[a:b], capture_output=True)
        if r.returncode == 0:  # a magic inside compressed data is no frame start
            yield data[a:b], r.stdout


def columns(payload, tmp):
    src = Path(tmp) / "chunk.bin"
    src.write_bytes(payload)
    subprocess.run(["flatc", "--json", "--raw-binary", "--size-prefixed", "--strict-json",
                    "-o", tmp, str(SCHEMA), "--", str(src)], check=True, capture_output=True)
    c = json.loads((Path(tmp) / "chunk.json").read_text())
    return bytes(c.get("ticks", [])), bytes(c.get("ops", [])), c.get("event_count", 0)


def event_codec_seed(ticks, ops, count):
    body = ticks + ops
    for b0 in range(256):  # the target splits at 5 + len(body) * b0 / 255
        if 5 + len(body) * b0 // 255 == 5 + len(ticks):
            return bytes([b0]) + count.to_bytes(4, "little") + body
    return None


def main():
    trace, out = Path(sys.argv[1]), Path(sys.argv[2])
    for sub in ("thread_file", "chunk_payload", "event_codec"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(trace.glob("p*/t*.ftrace")):
            data = f.read_bytes()
            if len(data) <= MAX_SEED:
                (out / "thread_file" / f"file{n}.ftrace").write_bytes(data)
            for k, (frame, payload) in enumerate(frames(data)):
                if k == 0:
                    (out / "thread_file" / f"file{n}-frame0.ftrace").write_bytes(frame)
                if len(payload) > MAX_SEED:
                    continue
                (out / "chunk_payload" / f"chunk{n}-{k}.bin").write_bytes(payload)
                seed = event_codec_seed(*columns(payload, tmp))
                if seed is not None and len(seed) > 5:
                    (out / "event_codec" / f"events{n}-{k}.bin").write_bytes(seed)
            n += 1
    for sub in ("thread_file", "chunk_payload", "event_codec"):
        files = list((out / sub).iterdir())
        print(f"{sub}: {len(files)} seeds, {sum(p.stat().st_size for p in files)} bytes")


if __name__ == "__main__":
    main()
