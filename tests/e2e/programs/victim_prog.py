"""A heavy thread ("victim", whose file the tests damage) and a light one ("bystander").

Writes {"pid", "threads": {name: {"tid", "calls": {qualname: n}}}} to argv[1].
"""
import json
import os
import sys
import threading


def tick(c):
    c["tick"] += 1


def victim_loop(c, n):
    c["victim_loop"] += 1
    for _ in range(n):
        tick(c)


def bystander_work(c):
    c["bystander_work"] += 1


def run_bystander(c):
    c["run_bystander"] += 1
    for _ in range(17):
        bystander_work(c)


def body(name, fn, c, tids):
    tids[name] = threading.get_native_id()
    fn(c)


def main():
    counts = {"victim": {"tick": 0, "victim_loop": 0},
              "bystander": {"bystander_work": 0, "run_bystander": 0},
              "MainThread": {"main": 1}}
    tids = {"MainThread": threading.get_native_id()}
    # The bystander runs first, alone, so the two threads' files are independent.
    b = threading.Thread(target=body, name="bystander",
                         args=("bystander", run_bystander, counts["bystander"], tids))
    b.start()
    b.join()
    v = threading.Thread(target=body, name="victim",
                         args=("victim", lambda c: victim_loop(c, 60000), counts["victim"], tids))
    v.start()
    v.join()
    with open(sys.argv[1], "w") as f:
        json.dump({"pid": os.getpid(),
                   "threads": {n: {"tid": tids[n], "calls": c} for n, c in counts.items()}}, f)


if __name__ == "__main__":
    main()
