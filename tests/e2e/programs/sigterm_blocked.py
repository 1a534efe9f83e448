"""Works on the main thread while two worker threads run, writes its own counts to argv[2]
(the ground truth of everything done before blocking), then blocks the way argv[1] says until
the test sends SIGTERM to the pid written there.

Modes: lock sleep select mutex (a C mutex locked twice: signals never interrupt it; the GIL is
released) mutex_gil (the same holding the GIL: nothing can take it) fork_lock (a fork child
does the work and blocks in a lock acquire; the parent reports how the child ended).
"""
import ctypes
import json
import os
import select
import signal
import sys
import threading
import time

MAIN_STEPS = 100_000


def step(c):
    c[0] += 1


def busy_step(c):
    c[0] += 1


def sleepy_step(c):
    c[0] += 1


def busy_worker(c, ready):
    for _ in range(1000):
        busy_step(c)
    ready.release()
    while True:
        busy_step(c)


def sleepy_worker(c, ready):
    sleepy_step(c)
    ready.release()
    while True:
        time.sleep(0.01)
        sleepy_step(c)


def block(mode):
    if mode in ("lock", "fork_lock"):
        lock = threading.Lock()
        lock.acquire()
        lock.acquire()
    elif mode == "sleep":
        time.sleep(600)
    elif mode == "select":
        r, w = os.pipe()
        select.select([r], [], [], 600)
    elif mode in ("mutex", "mutex_gil"):
        libc = (ctypes.PyDLL if mode == "mutex_gil" else ctypes.CDLL)(None)
        mutex = ctypes.create_string_buffer(64)  # zeroed: a default (non-recursive) mutex
        libc.pthread_mutex_lock(mutex)
        libc.pthread_mutex_lock(mutex)  # never returns
    raise SystemExit("not reached: " + mode)


def work(mode, out):
    mc, bc, sc = [0], [0], [0]
    ready = threading.Semaphore(0)
    threading.Thread(target=busy_worker, args=(bc, ready), name="busy", daemon=True).start()
    threading.Thread(target=sleepy_worker, args=(sc, ready), name="sleepy", daemon=True).start()
    ready.acquire()
    ready.acquire()
    for _ in range(MAIN_STEPS):
        step(mc)
    # The workers keep counting: their values here are lower bounds of what is recorded.
    truth = {"pid": os.getpid(), "step": mc[0], "busy_step": bc[0], "sleepy_step": sc[0]}
    with open(out + ".tmp", "w") as f:
        json.dump(truth, f)
    os.rename(out + ".tmp", out)  # the test waits for this file, then sends SIGTERM
    block(mode)


def main():
    mode, out = sys.argv[1], sys.argv[2]
    print("getsignal SIGTERM default:", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
          flush=True)
    if mode == "fork_lock":
        pid = os.fork()
        if pid == 0:
            work(mode, out)
        _, status = os.waitpid(pid, 0)
        print("child ended by signal", os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
              flush=True)
        return 0
    work(mode, out)


if __name__ == "__main__":
    sys.exit(main())
