"""Four named threads plus the main thread, each making a known number of calls.

The program counts its own calls and writes them as JSON to argv[1]: that file is the ground
truth the profile is checked against. It prints deterministic text to stdout and stderr (after
joining the threads) so traced and untraced output can be compared byte for byte.

expected = {
  "pid": int,
  "threads": { name: { "tid": int,
                       "calls": {qualname: n},            # Python functions
                       "ccalls": {"parent qualname|C name": n},  # C functions, by caller
                       "depth": {qualname: max recursion depth} } },
  "funcs": { qualname: [co_filename, co_firstlineno] },
}
"""
import json
import os
import sys
import threading
import time
from collections import defaultdict


def new_counter():
    return defaultdict(int)


# ---- alpha: 37 back-to-back calls of work_a, each calling leaf_a once -------------------------

def leaf_a(c, x):
    c["leaf_a"] += 1
    return x + 1


def work_a(c, x):
    c["work_a"] += 1
    return leaf_a(c, x) * 2


def run_alpha(c):
    c["run_alpha"] += 1
    total = 0
    for i in range(37):
        total += work_a(c, i)
    # Two more direct back-to-back calls with nothing in between but the call itself.
    work_a(c, 1); work_a(c, 2)
    return total


# ---- beta: outer x11, each calling inner x3; inner calls len() once ----------------------------

def inner(c, seq):
    c["inner"] += 1
    n = len(seq)
    c["inner|len"] += 1
    return n


def outer(c, k):
    c["outer"] += 1
    return inner(c, "ab") + inner(c, [1, 2, 3]) + inner(c, (k,))


def run_beta(c):
    c["run_beta"] += 1
    s = 0
    for k in range(11):
        s += outer(c, k)
    return s


# ---- gamma: a recursion 50 deep, and sorted() x5 -----------------------------------------------

def recurse(c, n, depth=1):
    c["recurse"] += 1
    c["recurse#depth"] = max(c["recurse#depth"], depth)
    if n > 1:
        recurse(c, n - 1, depth + 1)


def run_gamma(c):
    c["run_gamma"] += 1
    recurse(c, 50)
    for i in range(5):
        sorted([3, 1, 2, i])
        c["run_gamma|sorted"] += 1


# ---- delta: a method (qualname check), time.sleep x3, list.append x13 ---------------------------

class Stepper:
    def __init__(self):
        self.items = []

    def step(self, c, i):
        c["Stepper.step"] += 1
        self.items.append(i)
        c["Stepper.step|list.append"] += 1


def napper(c):
    c["napper"] += 1
    for _ in range(3):
        time.sleep(0.001)
        c["napper|time.sleep"] += 1


def run_delta(c):
    c["run_delta"] += 1
    s = Stepper()
    for i in range(13):
        s.step(c, i)
    napper(c)


# ---- main thread ---------------------------------------------------------------------------------

def main_work(c, i):
    c["main_work"] += 1
    return i * i


TARGETS = {"alpha": run_alpha, "beta": run_beta, "gamma": run_gamma, "delta": run_delta}
FUNCS = [leaf_a, work_a, run_alpha, inner, outer, run_beta, recurse, run_gamma, Stepper.step,
         napper, run_delta, main_work]  # main is added below (defined later)


def thread_body(name, counters, tids):
    tids[name] = threading.get_native_id()
    TARGETS[name](counters[name])


def main():
    out_path = sys.argv[1]
    counters = {name: new_counter() for name in list(TARGETS) + ["MainThread"]}
    counters["MainThread"]["main"] += 1
    tids = {"MainThread": threading.get_native_id()}
    threads = [threading.Thread(target=thread_body, name=name, args=(name, counters, tids))
               for name in TARGETS]
    for t in threads:
        t.start()
    for i in range(5):
        main_work(counters["MainThread"], i)
    for t in threads:
        t.join()

    result = {"pid": os.getpid(), "threads": {}, "funcs": {}}
    for name, c in counters.items():
        entry = {"tid": tids[name], "calls": {}, "ccalls": {}, "depth": {}}
        for key, n in c.items():
            if "|" in key:
                entry["ccalls"][key] = n
            elif "#depth" in key:
                entry["depth"][key.split("#")[0]] = n
            else:
                entry["calls"][key] = n
        result["threads"][name] = entry
    for f in FUNCS + [main]:
        result["funcs"][f.__qualname__] = [f.__code__.co_filename, f.__code__.co_firstlineno]
    with open(out_path, "w") as f:
        json.dump(result, f, sort_keys=True)

    print("threads done:", ", ".join(sorted(TARGETS)))
    print("totals:", {k: sum(v.values()) for k, v in sorted(counters.items())})
    print("to stderr", file=sys.stderr)


if __name__ == "__main__":
    main()
