"""The program's own tools keep working under ftrace, and see what they would see untraced:
cProfile (3.12+: its sys.monitoring tool id stays free), and the built-in functions ftrace
stands in for (print, the thread-start functions) look exactly like the originals."""
import json

import profile_validator as pv

CPROFILE_PROG = r'''
import cProfile, json, pstats, sys

def work(n):
    return sum(range(n))

def job():
    for i in range(25):
        work(i)

prof = cProfile.Profile()
prof.enable()
job()
prof.disable()
stats = pstats.Stats(prof)
calls = {f[2]: v[1] for f, v in stats.stats.items() if f[2] in ("work", "job")}
for _ in range(3):
    work(5)
print(json.dumps(calls, sort_keys=True))
'''

LOOKALIKE_PROG = r'''
import _thread, inspect, json, threading

def describe(f):
    try:
        sig = str(inspect.signature(f))
    except ValueError:
        sig = None
    return [repr(f), f.__name__, f.__module__, repr(f.__self__), f.__doc__,
            f.__text_signature__, sig]

names = ["start_new_thread", "start_joinable_thread"]
out = {"print": describe(print)}
for n in names:
    if hasattr(_thread, n):
        out["_thread." + n] = describe(getattr(_thread, n))
    if hasattr(threading, "_" + n):
        out["threading._" + n] = describe(getattr(threading, "_" + n))
print(json.dumps(out, sort_keys=True))
'''


def test_programs_cprofile_works(ftrace, test_interpreter):
    plain, _, profile = ftrace.record_as_untraced(ftrace.write_program(CPROFILE_PROG))
    assert json.loads(plain.stdout) == {"job": 1, "work": 25}
    if test_interpreter.version[:2] >= (3, 12):
        # Two sys.monitoring tools: ftrace saw every call cProfile saw, and the rest.
        assert pv.call_counts(profile, "MainThread")["work"] == 25 + 3


def test_stand_ins_look_like_the_originals(ftrace):
    plain, _, _ = ftrace.record_as_untraced(ftrace.write_program(LOOKALIKE_PROG))
    got = json.loads(plain.stdout)
    assert "print" in got and any(k.startswith("threading._") for k in got), got
