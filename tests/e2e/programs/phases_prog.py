"""Two phases on the main thread and a named helper thread, for the convert-time filters.

Phase A: `slow_a` x4 (each sleeps 20 ms), each followed by `quick` x50 (microseconds each).
A 300 ms pause (`pause`). Phase B: `slow_b` x3 (each sleeps 20 ms, calling `nested` x10 inside).
Thread "Helper": `helper_work` x25 while phase A runs.
The program counts its own calls and writes them as JSON to argv[1] (the ground truth).
"""
import json
import os
import sys
import threading
import time
from collections import Counter

calls = Counter()
helper_calls = Counter()


def quick(x):
    calls["quick"] += 1
    return x * 2


def nested(i):
    calls["nested"] += 1
    return i + 1


def slow_a():
    calls["slow_a"] += 1
    time.sleep(0.02)


def slow_b():
    calls["slow_b"] += 1
    for i in range(10):
        nested(i)
    time.sleep(0.02)


def pause():
    calls["pause"] += 1
    time.sleep(0.3)


def helper_work(i):
    helper_calls["helper_work"] += 1
    return sum(range(i))


def helper_main():
    for i in range(25):
        helper_work(i)
        time.sleep(0.002)


def main():
    helper = threading.Thread(target=helper_main, name="Helper")
    helper.start()
    for _ in range(4):
        slow_a()
        for i in range(50):
            quick(i)
    helper.join()
    pause()
    for _ in range(3):
        slow_b()
    with open(sys.argv[1], "w") as f:
        json.dump({"pid": os.getpid(), "main": dict(calls), "helper": dict(helper_calls)}, f)
    print("done")


main()
