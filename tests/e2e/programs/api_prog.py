"""ftrace.trace() started inside a call stack with a thread already running; user markers
and regions; renamed thread; _thread thread; daemon thread alive at exit (argv: TRACE OUT)."""
import _thread
import json
import sys
import threading
import time

import ftrace

TRACE, OUT = sys.argv[1], sys.argv[2]
exp = {}
assert not ftrace.is_active()
ftrace.marker("ignored")  # not recording: a no-op
with ftrace.region("ignored too"):
    pass

stop_early = threading.Event()
def early_loop():
    n = 0
    while not stop_early.is_set():
        early_tick()
        n += 1
        time.sleep(0.001)
    exp["early_ticks_total"] = n
def early_tick():
    pass
early = threading.Thread(target=early_loop, name="early")
early.start()
time.sleep(0.02)

def leaf(i):
    return i * 2

def outer():
    return middle()

def middle():
    with ftrace.trace(TRACE):
        exp["active"] = ftrace.is_active()
        total = sum(leaf(i) for i in range(10))
        ftrace.marker("checkpoint", step=3, label="half")
        t0 = time.perf_counter()
        with ftrace.region("sleepy", kind="io"):
            time.sleep(0.05)
        exp["region_s"] = time.perf_counter() - t0
        # a thread renamed while running
        def renamer():
            threading.current_thread().name = "final-name"
            leaf(1)
        r = threading.Thread(target=renamer, name="first-name")
        r.start()
        r.join()
        # a raw _thread thread: 5 leaf calls
        done = threading.Event()
        def raw():
            for i in range(5):
                leaf(i)
            done.set()
        _thread.start_new_thread(raw, ())
        done.wait()
        stop_early.set()
        early.join()
    return total

@ftrace.trace(TRACE + ".deco")
def decorated():
    return [leaf(i) for i in range(7)]

outer()
exp["after_active"] = ftrace.is_active()
decorated()
with open(OUT, "w") as f:
    json.dump(exp, f)
