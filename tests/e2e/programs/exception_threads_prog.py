"""--exceptions all on every kind of thread: exceptions raised by `raise` statements and
operators and caught in the same function (what 3.8-3.11 report only to a trace function),
on the main thread, a threading.Thread, a _thread.start_new_thread thread and, with argv[2] ==
"api", a thread already running when ftrace.trace() starts. Writes the ground truth
{thread role: [[type, message], ...]} to argv[1]."""
import _thread
import json
import sys
import threading

OUT = sys.argv[1]
API = len(sys.argv) > 2 and sys.argv[2] == "api"
raised = {}


def catch_some(role, n):
    got = raised.setdefault(role, [])
    for i in range(n):
        try:
            raise ValueError("%s stmt %d" % (role, i))
        except ValueError as e:
            got.append([type(e).__name__, str(e)])
        try:
            {}["%s key %d" % (role, i)]
        except KeyError as e:
            got.append([type(e).__name__, str(e)])


def raw_thread(done):
    catch_some("raw", 4)
    done.release()


def run_all():
    catch_some("main", 3)
    t = threading.Thread(target=catch_some, args=("worker", 5), name="exc-worker")
    t.start()
    t.join()
    done = _thread.allocate_lock()
    done.acquire()
    _thread.start_new_thread(raw_thread, (done,))
    done.acquire()


if API:
    import ftrace

    go, finished = threading.Event(), threading.Event()

    def early():
        go.wait()
        catch_some("early", 2)
        finished.set()

    e = threading.Thread(target=early, name="exc-early")
    e.start()
    with ftrace.trace(sys.argv[3], exceptions="all"):
        go.set()
        finished.wait()
        run_all()
    e.join()
else:
    run_all()
with open(OUT, "w") as f:
    json.dump(raised, f)
