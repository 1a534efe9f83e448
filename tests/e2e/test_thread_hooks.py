"""How ftrace reaches new threads stays out of the program's sight: threading's profile hook
is the program's own, a program that sets one still gets every event it asked for (and its
threads are still traced where the interpreter lets two tools coexist), and subinterpreters
run untraced without a word."""
import json

import profile_validator as pv

HOOKS_PROG = r'''
import json, sys, threading
out = {"profile_hook": repr(threading._profile_hook), "trace_hook": repr(threading._trace_hook)}
if hasattr(threading, "getprofile"):
    out["getprofile"] = repr(threading.getprofile())

def work():
    return 1

def in_thread():
    for _ in range(7):
        work()

t = threading.Thread(target=in_thread, name="plain")
t.start()
t.join()
out["profile_hook_after"] = repr(threading._profile_hook)
print(json.dumps(out, sort_keys=True))
'''

# The program profiles its own threads with threading.setprofile: its function must see every
# call it would see untraced. On 3.12+ (3.12: setprofile_all_threads too) it is put back
# exactly as CPython's test_threading does.
SETPROFILE_PROG = r'''
import json, sys, threading
seen = []
def mine(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "work":
        seen.append(threading.current_thread().name)

def work():
    return 1

def in_thread():
    for _ in range(11):
        work()

old = threading._profile_hook
threading.setprofile(mine)
t = threading.Thread(target=in_thread, name="profiled")
t.start()
t.join()
threading.setprofile(old)
out = {"seen": seen, "restored": threading._profile_hook is old}
if hasattr(threading, "setprofile_all_threads"):
    def fn(*args):
        pass
    before = threading.getprofile()
    threading.setprofile_all_threads(fn)
    all_set = sys.getprofile() is fn and threading.getprofile() is fn
    threading.setprofile_all_threads(before)
    out["all_threads"] = [all_set, threading.getprofile() is before, sys.getprofile() is before]
t2 = threading.Thread(target=in_thread, name="after")
t2.start()
t2.join()
print(json.dumps(out, sort_keys=True))
'''

# A _thread thread whose function raises: sys.unraisablehook is told of that function, as
# without ftrace (CPython's own test_thread checks the same).
UNRAISABLE_PROG = r'''
import _thread, json, sys, threading
got = {}
done = threading.Event()
def hook(u):
    got["object_is_task"] = u.object is task
    got["err_msg"] = u.err_msg.replace(repr(task), "<task>")
    got["exc"] = str(u.exc_value)
    done.set()
sys.unraisablehook = hook
def task():
    raise ValueError("task failed")
_thread.start_new_thread(task, ())
done.wait(10)
def quiet():
    raise SystemExit(3)  # ends the thread silently
_thread.start_new_thread(quiet, ())
print(json.dumps(got, sort_keys=True))
'''

SUBINTERP_PROG = r'''
import sys
try:
    import _interpreters as interpreters  # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.8-3.12

def work():
    return 1

for _ in range(5):
    work()
sub = interpreters.create()
interpreters.run_string(sub, "import sys; print('in the subinterpreter', file=sys.stderr)\n"
                             "def work():\n    return 2\n"
                             "print(sum(work() for _ in range(3)))")
interpreters.destroy(sub)
for _ in range(4):
    work()
print("main done")
'''


def test_threading_hooks_are_the_programs(ftrace):
    plain, _, profile = ftrace.record_as_untraced(ftrace.write_program(HOOKS_PROG))
    assert json.loads(plain.stdout)["profile_hook"] == "None"
    assert pv.call_counts(profile, "plain")["work"] == 7


def test_program_setprofile_sees_its_events(ftrace, test_interpreter):
    plain, _, profile = ftrace.record_as_untraced(ftrace.write_program(SETPROFILE_PROG))
    got = json.loads(plain.stdout)
    assert got["seen"] == ["profiled"] * 11 and got["restored"]
    if "all_threads" in got:
        assert got["all_threads"] == [True, True, True]
    # A thread started after the program's profile function is gone is traced in full.
    assert pv.call_counts(profile, "after")["work"] == 11
    if test_interpreter.version[:2] >= (3, 12):
        # sys.monitoring lets both tools see the thread the program profiles.
        assert pv.call_counts(profile, "profiled")["work"] == 11


def test_subinterpreter_runs_untraced_silently(ftrace):
    # Same stderr as untraced: no warning from the subinterpreter.
    _, _, profile = ftrace.record_as_untraced(ftrace.write_program(SUBINTERP_PROG))
    # The main interpreter's calls, all of them; the subinterpreter's `work` is not traced.
    assert pv.call_counts(profile, "MainThread")["work"] == 9


def test_thread_exception_reported_as_without_ftrace(ftrace):
    plain, _, _ = ftrace.record_as_untraced(ftrace.write_program(UNRAISABLE_PROG))
    assert json.loads(plain.stdout)["exc"] == "task failed"
