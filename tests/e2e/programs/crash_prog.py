"""Works on two threads, writes its own counts to argv[2], then ends the way argv[1] says.

Modes: sigkill segv_ctypes segv_kill abort os_exit sigterm sigint sigterm_handler
sigint_handler exit. The counts file is written *before* the ending, so it is the ground truth
of everything done before the crash.
"""
import ctypes
import json
import os
import signal
import sys
import threading

MAIN_STEPS = 100_000   # 200k events on the main thread: several full 64Ki-event buffers
WORKER_STEPS = 70_000


def step(c):
    c[0] += 1


def worker_step(c):
    c[0] += 1


def worker(c, started, finish):
    for _ in range(WORKER_STEPS):
        worker_step(c)
    started.set()
    finish.wait()  # still alive (with a partly filled buffer) when the process ends


def main():
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "sigterm_handler":
        def on_term(signum, frame):
            print("program's SIGTERM handler ran", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, on_term)
    if mode == "sigint_handler":
        def on_int(signum, frame):
            print("program's SIGINT handler ran", flush=True)
            sys.exit(4)
        signal.signal(signal.SIGINT, on_int)
    wc, mc = [0], [0]
    started, finish = threading.Event(), threading.Event()
    t = threading.Thread(target=worker, args=(wc, started, finish), name="worker", daemon=True)
    t.start()
    for _ in range(MAIN_STEPS):
        step(mc)
    started.wait()
    with open(out, "w") as f:
        json.dump({"pid": os.getpid(), "step": mc[0], "worker_step": wc[0]}, f)
    print("work done", flush=True)
    if mode == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    elif mode == "segv_ctypes":
        ctypes.string_at(0)
    elif mode == "segv_kill":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode == "abort":
        os.abort()
    elif mode == "os_exit":
        os._exit(7)
    elif mode in ("sigterm", "sigterm_handler"):
        os.kill(os.getpid(), signal.SIGTERM)
    elif mode in ("sigint", "sigint_handler"):
        os.kill(os.getpid(), signal.SIGINT)
    finish.set()
    t.join()
    print("not reached for signals", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
