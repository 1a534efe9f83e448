"""--memory ground truth: allocates known large buffers, keeps them alive, frees them, and
writes what it allocated (exact block sizes, as the allocator was asked for them) to the JSON
file argv[1]. User markers bracket each phase so the test can read the Memory counter there.

argv[2] (optional) = "huge": also one bytes object over 4 GiB (calloc: its pages are never
touched, so it costs no real memory), to check sizes above 32 bits."""
import json
import sys

import ftrace

MiB = 1 << 20
OUT = sys.argv[1]
huge = len(sys.argv) > 2 and sys.argv[2] == "huge"


def block_size(obj):
    # The bytes the buffer's allocation asked for: sys.getsizeof minus the object header
    # (bytearray: its separate buffer, ob_alloc bytes).
    return sys.getsizeof(obj) - type(obj).__basicsize__


def allocate():
    return [bytearray(n * MiB) for n in (5, 6, 7)]


exp = {}
ftrace.marker("phase", step="before")
bufs = allocate()
ftrace.marker("phase", step="allocated")
exp["sizes"] = [block_size(b) for b in bufs]
del bufs
ftrace.marker("phase", step="freed")
if huge:
    big = bytes(4 * 1024 * MiB + 3 * MiB)  # > 4 GiB
    ftrace.marker("phase", step="huge")
    # bytes: header and data are one block, exactly sys.getsizeof(big) bytes
    exp["huge"] = sys.getsizeof(big)
    del big
    ftrace.marker("phase", step="huge-freed")
if ftrace.is_active():
    exp["stats"] = ftrace._ftrace.memory_stats()
with open(OUT, "w") as f:
    json.dump(exp, f)
