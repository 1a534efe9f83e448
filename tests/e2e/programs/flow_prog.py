"""Control flow whose events differ most between CPython versions: generators (each resume is
a call, each yield a return), generator close/throw, coroutines, exceptions leaving Python and
C functions, and a nested function and static/class methods (qualified names).

Counts its own calls and writes them as JSON to argv[1]:
  {"calls": {qualname: n}, "pairs": {"caller>callee": n}, "cerrors": {"caller>C name": n}}
"""
import json
import math
import sys
from collections import defaultdict

C = defaultdict(int)


# ---- generators: a resume (start, after a yield, or by throw/close) is one call ---------------
# Resumes are counted where they happen: 3.13 closes a generator suspended outside any handler
# without resuming it, so close() is only a resume when a handler is there to see it.

def countdown(n):
    C["countdown"] += 1              # first resume
    while n > 0:
        try:
            yield n
        except GeneratorExit:
            C["countdown"] += 1      # resumed by close()
            raise
        C["countdown"] += 1          # resumed by next()/the for loop
        n -= 1


def consume_generators():
    C["consume_generators"] += 1
    total = 0
    for _ in range(3):
        for v in countdown(4):       # 4 yields + the final resume that returns: 5 resumes
            total += v
    C["consume_generators>countdown"] += 15
    g = countdown(10)
    next(g)
    next(g)
    C["next>countdown"] += 2         # resumed from inside the C function next()
    g.close()
    C["generator.close>countdown"] += 1
    return total


def echo():
    C["echo"] += 1
    while True:
        try:
            yield
        except KeyError:
            pass                     # resumed by throw(): caught, loops to the next yield
        except GeneratorExit:
            C["echo"] += 1
            raise
        C["echo"] += 1


def throw_into_generator():
    C["throw_into_generator"] += 1
    g = echo()
    next(g)
    g.send(1)
    g.throw(KeyError("k"))
    g.close()
    for c in ("next", "generator.send", "generator.throw", "generator.close"):
        C[c + ">echo"] += 1


# ---- coroutines, driven by hand (no event loop noise) ----------------------------------------

class Step:
    def __await__(self):
        C["Step.__await__"] += 1
        yield "step"
        C["Step.__await__"] += 1   # resumed once more, then returns


async def leaf_coro(k):
    C["leaf_coro"] += 1
    await Step()
    C["leaf_coro"] += 1          # resumed once after the await
    return k * 2


async def top_coro():
    C["top_coro"] += 1
    a = await leaf_coro(1)
    C["top_coro"] += 1           # resumed (through leaf_coro) after the suspension
    b = await leaf_coro(2)
    C["top_coro"] += 1
    return a + b


def drive_coroutine():
    C["drive_coroutine"] += 1
    coro = top_coro()
    result = None
    try:
        while True:
            coro.send(None)
    except StopIteration as stop:
        result = stop.value
    assert result == 6
    # Three send()s (the first suspension, the second, the final return), each resuming the
    # chain top_coro -> leaf_coro -> Step.__await__ from inside the C method coroutine.send.
    C["drive_coroutine>coroutine.send"] += 3
    C["coroutine.send>top_coro"] += 3
    C["top_coro>leaf_coro"] += 4
    C["leaf_coro>Step.__await__"] += 4


# ---- exceptions ---------------------------------------------------------------------------

def raiser(i):
    C["raiser"] += 1
    if i % 2:
        raise ValueError(i)
    return i


def deep_raiser(n):
    C["deep_raiser"] += 1
    if n == 0:
        raise RuntimeError("bottom")
    deep_raiser(n - 1)


def exceptions():
    C["exceptions"] += 1
    caught = 0
    for i in range(9):
        try:
            raiser(i)
        except ValueError:
            caught += 1
    C["exceptions>raiser"] += 9
    for _ in range(4):
        try:
            deep_raiser(6)       # 7 frames unwound by one exception
        except RuntimeError:
            caught += 1
    C["exceptions>deep_raiser"] += 4
    C["deep_raiser>deep_raiser"] += 4 * 6
    # C functions that raise: math.sqrt(-1) and [].pop()
    for x in (4.0, -1.0, 9.0, -2.0, -3.0):
        try:
            math.sqrt(x)
        except ValueError:
            caught += 1
    C["exceptions>math.sqrt"] += 5
    for _ in range(3):
        try:
            [].pop()
        except IndexError:
            caught += 1
    C["exceptions>list.pop"] += 3
    after_exceptions()           # the stack must be back in place after all that unwinding
    C["exceptions>after_exceptions"] += 1
    return caught


def after_exceptions():
    C["after_exceptions"] += 1


# ---- qualified names ----------------------------------------------------------------------

class Shape:
    @staticmethod
    def unit():
        C["Shape.unit"] += 1
        return 1

    @classmethod
    def make(cls):
        C["Shape.make"] += 1
        return cls()

    def area(self):
        C["Shape.area"] += 1
        return self.unit()


def names():
    C["names"] += 1
    s = Shape.make()
    for _ in range(2):
        s.area()


def main():
    C["main"] += 1
    consume_generators()
    throw_into_generator()
    drive_coroutine()
    exceptions()
    names()
    calls = {k: v for k, v in C.items() if ">" not in k}
    pairs = {k: v for k, v in C.items() if ">" in k}
    with open(sys.argv[1], "w") as f:
        json.dump({"calls": calls, "pairs": pairs}, f, sort_keys=True)
    print("flow done")


if __name__ == "__main__":
    main()
