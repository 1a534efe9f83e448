"""Ground truth for --python-only: counts its own Python calls (per thread) and writes them
as JSON to argv[1]. Covers plain calls, recursion, methods, properties, __init__ (3.13
inlines it when specialised), generators (each resume is a call), exceptions and threads.
Also calls C functions, which --python-only must leave out."""
import json
import sys
import threading

COUNTS = {}


def count(name):
    key = threading.current_thread().name
    COUNTS.setdefault(key, {})
    COUNTS[key][name] = COUNTS[key].get(name, 0) + 1


def leaf(x):
    count("leaf")
    return x + 1


def fib(n):
    count("fib")
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Box:
    def __init__(self, v):
        count("Box.__init__")
        self._v = v

    @property
    def value(self):
        count("Box.value")
        return self._v

    def bump(self):
        count("Box.bump")
        return Box(self.value + 1)


def numbers(n):
    # One call per resume: n yields plus the final resume that ends the generator.
    count("numbers")
    for i in range(n):
        yield i
        count("numbers")


def fails(i):
    count("fails")
    raise ValueError(i)


def catches(n):
    count("catches")
    caught = 0
    for i in range(n):
        try:
            fails(i)
        except ValueError:
            caught += 1
    return caught


def work(n):
    count("work")
    total = 0
    for i in range(n):
        total += leaf(i)
        total += len(str(i))  # C calls: absent from a --python-only trace
    b = Box(0)
    for _ in range(n):
        b = b.bump()
    total += sum(numbers(n))
    total += catches(n // 2)
    total += fib(12)
    return total


def worker():
    count("worker")
    work(30)


def main():
    work(50)
    threads = [threading.Thread(target=worker, name="py-only-%d" % i) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(sys.argv[1], "w") as f:
        json.dump(COUNTS, f)


main()
