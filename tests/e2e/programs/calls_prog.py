"""Exact call counts for the tricky cases; ground truth counted by the program itself."""
import asyncio
import json
import math
import sys
import threading
import time

sys.setrecursionlimit(5000)
exp = {}

def count_up(n):
    for i in range(n):
        yield i
# A generator of 5 items consumed fully: 1 first call + 5 resumes = 6 "calls" of gen.
exp["gen_items"] = sum(1 for _ in count_up(5))

async def sleeper(i):
    await asyncio.sleep(0.001)   # one suspension
    return i
async def amain():
    return await asyncio.gather(*(sleeper(i) for i in range(4)))
exp["async_results"] = asyncio.run(amain())

def thrower(n):
    if n == 0:
        raise RuntimeError("x")
    thrower(n - 1)
caught = 0
for _ in range(3):
    try:
        thrower(4)
    except RuntimeError:
        caught += 1
exp["thrower_calls"] = 3 * 5

square = lambda x: x * x  # noqa: E731
exp["lambda_sum"] = sum(map(square, range(6)))

def make_adder(k):
    def add(x):
        return x + k
    return add
adder = make_adder(2)
exp["adds"] = [adder(i) for i in range(4)]

class Shape:
    sides = 4
    def area(self):
        return math.sqrt(16.0)

def recurse(n):
    return 0 if n == 0 else 1 + recurse(n - 1)
exp["depth"] = recurse(999) + 1   # 1000 frames of recurse

for _ in range(7):
    math.floor(2.5)

stop = threading.Event()
def daemon_loop():
    while True:
        daemon_tick()
        time.sleep(0.001)
def daemon_tick():
    exp["daemon_ticks"] = exp.get("daemon_ticks", 0) + 1
t = threading.Thread(target=daemon_loop, name="daemon-at-exit", daemon=True)
t.start()
while exp.get("daemon_ticks", 0) < 3:
    time.sleep(0.001)

with open(sys.argv[1], "w") as f:
    json.dump(exp, f)
