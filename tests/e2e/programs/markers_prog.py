"""Markers ground truth: prints, logging (any Logger), imports, GC, exceptions, threads.
Writes what it did (counts, texts, durations measured here) to the JSON file argv[1]."""
import gc
import json
import logging
import os
import sys
import threading
import time

OUT = sys.argv[1]
exp = {"prints": [], "logs": [], "exceptions": [], "threads": {}}

# print: several forms; the text is what print wrote (minus the final newline).
print("plain text")
print("a", 1, 2.5, None, sep="|")
print("to stderr", file=sys.stderr)
class Obj:
    def __init__(self):
        self.str_calls = 0
    def __str__(self):
        self.str_calls += 1
        return "Obj!"
o = Obj()
print("obj:", o, end="<END>\n")
exp["prints"] = ["plain text", "a|1|2.5|None", "to stderr", "obj: Obj!<END>"]
exp["obj_str_calls"] = o.str_calls  # must be 1, as without ftrace

# logging: a logger created before tracing would be identical (class-level hook); one with
# propagate=False and its own handler, one through the root logger.
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
quiet = logging.getLogger("quiet.child")
quiet.propagate = False
quiet.addHandler(logging.NullHandler())
logging.getLogger("app").info("starting %d jobs", 3)
quiet.warning("not propagated %s", "at all")
logging.getLogger("app.db").error("plain message")
logging.getLogger("app").debug("below the level: no record")
exp["logs"] = [["INFO", "app", "starting 3 jobs"], ["WARNING", "quiet.child", "not propagated at all"],
               ["ERROR", "app.db", "plain message"]]

# import: a module written here that sleeps while being imported.
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "slow_mod_xyz.py"), "w") as f:
    f.write("import time\nt0 = time.perf_counter()\ntime.sleep(0.05)\n"
            "elapsed = time.perf_counter() - t0\n")
sys.path.insert(0, here)
t0 = time.perf_counter()
import slow_mod_xyz  # noqa: E402
exp["import_s"] = time.perf_counter() - t0
exp["import_inner_s"] = slow_mod_xyz.elapsed

# GC: explicit collections with known generations, and our own callback to count runs.
runs = []
def cb(phase, info):
    if phase == "stop":
        runs.append((info["generation"], info["collected"], info["uncollectable"]))
gc.callbacks.append(cb)
for _ in range(3):
    a = []
    a.append(a)
    del a
    gc.collect(1)
gc.collect(2)
gc.callbacks.remove(cb)
exp["gc_runs"] = runs

# exceptions: raised 3 frames deep and caught 3 frames up (one marker each), a C raise.
def deep(n, msg):
    if n == 0:
        raise KeyError(msg) if msg.startswith("k") else ValueError(msg)
    return deep(n - 1, msg)
def parse(s):
    return int(s)
for msg in ("first", "second", "kthird"):
    try:
        deep(3, msg)
    except (ValueError, KeyError):
        pass
try:
    parse("zz")
except ValueError as e:
    c_msg = str(e)
exp["exceptions"] = [["ValueError", "first", "deep"], ["ValueError", "second", "deep"],
                     ["KeyError", "'kthird'", "deep"], ["ValueError", c_msg, "parse"]]

# threads: start + end markers on each thread's own track.
def work():
    time.sleep(0.01)
ts = [threading.Thread(target=work, name="worker-%d" % i) for i in range(2)]
for t in ts:
    t.start()
for t in ts:
    t.join()
exp["threads"] = [t.name for t in ts]

with open(OUT, "w") as f:
    json.dump(exp, f)
