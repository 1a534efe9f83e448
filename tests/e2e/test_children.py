"""Every descendant Python process is traced into one trace directory and shown on one timeline.

Each child runs a uniquely named function a known number of times; the test finds the one
process of the profile that calls it and checks the count there, that no other process calls it,
that the process is named by its command line with its parent visible, and that the parent's
output and exit status are what they are without ftrace.
"""
import collections
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

import profile_validator as pv
from conftest import probe as probe_interpreter
from conftest import (assert_valid, build_dir, interpreter_named_on_path, run, split_ftrace_line,
                      thread_files)

WARNING = b"ftrace: warning:"

# os.waitstatus_to_exitcode is 3.9+; the programs below run on 3.8 too.
EXIT_CODE_SRC = r'''
def exit_code(status):
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status)
'''


# ---- helpers ----------------------------------------------------------------------------------

def child_src(fn: str, n: int) -> str:
    """A child program: calls `fn` n times, prints its name and a checksum."""
    return (f"def {fn}(i):\n"
            f"    return i * 3\n"
            f"total = 0\n"
            f"for i in range({n}):\n"
            f"    total += {fn}(i)\n"
            f"print('{fn}', total, flush=True)\n")


def per_process(profile):
    """profile pid -> {pid, name, counts (calls summed over the process's threads), threads}."""
    procs = {}
    for i, t in enumerate(profile["threads"]):
        p = procs.setdefault(t["pid"], {"pid": t["pid"], "name": t.get("processName"),
                                        "counts": collections.Counter(), "threads": []})
        p["counts"].update(pv.call_counts(profile, i))
        p["threads"].append(t)
    return procs


def owner(procs, fn):
    """The one process that calls `fn`."""
    having = [p for p in procs.values() if p["counts"][fn] > 0]
    assert len(having) == 1, (f"{fn} is called in {len(having)} processes: "
                              f"{[(p['pid'], p['name'], p['counts'][fn]) for p in having]}; "
                              f"processes: {[(p['pid'], p['name']) for p in procs.values()]}")
    return having[0]


def is_child(proc):
    return proc["name"].endswith(")") and (" (child of " in proc["name"] or
                                           " (exec'd from " in proc["name"])


def root_of(procs):
    """The one process without a parent: the recorded command. (A fork child also holds the
    calls that were open when it was forked, so the parent's functions are not unique.)"""
    roots = [p for p in procs.values() if not is_child(p)]
    assert len(roots) == 1, [p["name"] for p in procs.values()]
    return roots[0]


def helpers_of(procs):
    """multiprocessing's own helper processes (resource tracker), which spawn and forkserver
    start."""
    return [p for p in procs.values() if "resource_tracker" in p["name"]]


def total_calls(procs, fn):
    return sum(p["counts"][fn] for p in procs.values())


def push_times(profile, thread, fn):
    """Times (ms) at which `fn` was called on a thread."""
    t = thread if isinstance(thread, dict) else profile["threads"][thread]
    times = pv.sample_times(t)
    out, prev = [], None
    for s, when in zip(t["samples"]["stack"], times):
        if s is not None and pv.stack_parent(profile, s) == prev and \
                pv.func_name(profile, pv.stack_func(profile, s)) == fn:
            out.append(when)
        prev = s
    return out


def program_stderr(r):
    err, line = split_ftrace_line(r.stderr)
    assert line is not None and line.startswith(b"ftrace: trace written to"), \
        f"no final 'ftrace: trace written' line:\n{r.describe()}"
    return err


# 3.12+ warns when a multi-threaded process forks, naming its pid, which differs between the
# traced and the untraced run: only that pid is masked before comparing.
FORK_WARNING_PID_RE = re.compile(rb"This process \(pid=\d+\) is multi-threaded")


def comparable_stderr(stderr: bytes) -> bytes:
    return FORK_WARNING_PID_RE.sub(b"This process (pid=PID) is multi-threaded", stderr)


def record_and_compare(ftrace, prog, args=(), extra=()):
    """Runs prog untraced and traced, with the interpreter under test first on PATH by name
    (python3, python3.X) for the children; same stdout, program stderr and exit code.
    Returns (profile, recording, untraced run)."""
    env = interpreter_named_on_path(ftrace.python, ftrace.workdir)
    plain = run([ftrace.python, prog, *args], cwd=prog.parent, env=env)
    out = ftrace.workdir / f"{prog.stem}-{'-'.join(args) or 'x'}.dir"
    r = run([ftrace.binary, "record", *extra, "-o", out, "--", ftrace.python, prog, *args],
            cwd=prog.parent, env=env)
    assert r.returncode == plain.returncode, r.describe() + "\n" + plain.describe()
    assert r.stdout == plain.stdout, r.describe() + "\n" + plain.describe()
    assert comparable_stderr(program_stderr(r)) == comparable_stderr(plain.stderr), \
        r.describe() + "\n" + plain.describe()
    profile, _ = ftrace.convert_load(out)
    assert_valid(profile)
    r.trace_dir = out
    return profile, r, plain


def assert_child_of(child, parent, verb="child of"):
    assert child["name"] is not None and child["name"].endswith(f"({verb} {parent['pid']})"), \
        f"process {child['pid']} is named {child['name']!r}, expected '... ({verb} {parent['pid']})'"


def assert_root(proc):
    assert not is_child(proc), proc["name"]


# ---- subprocess by name and by path, with script, -c and -m --------------------------------

SUBPROCESS_PROG = r'''
import os, subprocess, sys
HERE = os.path.dirname(os.path.abspath(__file__))

def parent_subprocess_main():
    by_version = "python3.%d" % sys.version_info[1]
    real = os.path.realpath(sys.executable)
    runs = [
        ["python3", os.path.join(HERE, "c_name_script.py")],
        [by_version, "-c", open(os.path.join(HERE, "c_version_dash_c.py")).read()],
        [sys.executable, "-m", "c_sys_executable_module"],
        [real, os.path.join(HERE, "c_abspath_script.py")],
        ["python3", "-m", "c_name_module"],
    ]
    for args in runs:
        r = subprocess.run(args, cwd=HERE, stdout=subprocess.PIPE, check=True)
        sys.stdout.write(r.stdout.decode())
    return 5

sys.exit(parent_subprocess_main())
'''

SUBPROCESS_CHILDREN = {"c_name_script": 11, "c_version_dash_c": 12, "c_sys_executable_module": 13,
                       "c_abspath_script": 14, "c_name_module": 15}


def test_subprocess_children_by_name_and_path(ftrace):
    for fn, n in SUBPROCESS_CHILDREN.items():
        ftrace.write_program(child_src(fn, n), name=fn + ".py")
    prog = ftrace.write_program(SUBPROCESS_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert plain.returncode == 5
    for fn in SUBPROCESS_CHILDREN:
        assert f"{fn} ".encode() in plain.stdout
    procs = per_process(profile)
    assert len(procs) == 1 + len(SUBPROCESS_CHILDREN), [p["name"] for p in procs.values()]
    root = root_of(procs)
    assert root["counts"]["parent_subprocess_main"] == 1
    assert_root(root)
    assert root["name"].startswith("python3 ") and "prog.py" in root["name"]
    for fn, n in SUBPROCESS_CHILDREN.items():
        child = owner(procs, fn)
        assert child["counts"][fn] == n, (fn, child["counts"][fn])
        assert child is not root
        assert_child_of(child, root)
    # The command line names each child: script, -c or -m.
    assert "c_name_script.py" in owner(procs, "c_name_script")["name"]
    assert " -c " in owner(procs, "c_version_dash_c")["name"]
    assert "-m c_sys_executable_module" in owner(procs, "c_sys_executable_module")["name"]
    assert owner(procs, "c_version_dash_c")["name"].startswith("python3.")


# ---- os.system and shell scripts -------------------------------------------------------------

SYSTEM_PROG = r'''
import os, sys
''' + EXIT_CODE_SRC + r'''
HERE = os.path.dirname(os.path.abspath(__file__))

def parent_system_main():
    print("start", flush=True)
    a = os.system("python3 " + os.path.join(HERE, "c_os_system.py"))
    b = os.system("sh " + os.path.join(HERE, "children.sh"))
    print("statuses", exit_code(a), exit_code(b), flush=True)

parent_system_main()
'''

SHELL_SCRIPT = r'''#!/bin/sh
cd "$(dirname "$0")"
python3 c_shell_script.py
./c_shebang.py
python3 -c "$(cat c_shell_dash_c.py)"
exit 3
'''

SYSTEM_CHILDREN = {"c_os_system": 7, "c_shell_script": 8, "c_shebang": 9, "c_shell_dash_c": 10}


def test_os_system_and_shell_script_children(ftrace):
    for fn, n in SYSTEM_CHILDREN.items():
        src = child_src(fn, n)
        if fn == "c_shebang":
            src = "#!/usr/bin/env python3\n" + src
        p = ftrace.write_program(src, name=fn + ".py")
        p.chmod(p.stat().st_mode | stat.S_IXUSR)
    ftrace.write_program(SHELL_SCRIPT, name="children.sh")
    prog = ftrace.write_program(SYSTEM_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert b"statuses 0 3" in plain.stdout
    procs = per_process(profile)
    assert len(procs) == 1 + len(SYSTEM_CHILDREN), [p["name"] for p in procs.values()]
    root = root_of(procs)
    assert_root(root)
    for fn, n in SYSTEM_CHILDREN.items():
        child = owner(procs, fn)
        assert child["counts"][fn] == n
        # os.system's shell is not Python: the first traced ancestor is the nearest one shown.
        assert child is not root
        assert child["name"].startswith("python3 "), child["name"]
    assert_child_of(owner(procs, "c_os_system"), root)


# ---- os.fork ---------------------------------------------------------------------------------

FORK_MAIN_PROG = r'''
import os, sys
''' + EXIT_CODE_SRC + r'''

def parent_before_fork(i):
    return i

def fork_child_work(i):
    return i

def parent_after_fork(i):
    return i

def fork_main():
    for i in range(50):
        parent_before_fork(i)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        for i in range(30):
            fork_child_work(i)
        print("child done", flush=True)
        sys.exit(4)  # an ordinary interpreter exit in the child
    _, status = os.waitpid(pid, 0)
    for i in range(20):
        parent_after_fork(i)
    print("child status", exit_code(status))

fork_main()
'''


def test_fork_from_main_thread(ftrace):
    prog = ftrace.write_program(FORK_MAIN_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert plain.stdout == b"child done\nchild status 4\n"
    procs = per_process(profile)
    assert len(procs) == 2
    root = root_of(procs)
    child = owner(procs, "fork_child_work")
    assert root["counts"]["parent_before_fork"] == 50
    assert root["counts"]["parent_after_fork"] == 20
    assert child["counts"]["fork_child_work"] == 30
    # The parent's buffered events stayed the parent's: not duplicated into the child.
    assert child["counts"]["parent_before_fork"] == 0
    assert total_calls(procs, "parent_before_fork") == 50
    assert_root(root)
    assert_child_of(child, root)
    assert len(child["threads"]) == 1 and child["threads"][0]["isMainThread"]


FORK_THREAD_PROG = r'''
import os, sys, threading
''' + EXIT_CODE_SRC + r'''

def main_thread_work(i):
    return i

def forker_before_fork(i):
    return i

def thread_fork_child_work(i):
    return i

def forker(result):
    for i in range(40):
        forker_before_fork(i)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        for i in range(25):
            thread_fork_child_work(i)
        os._exit(7)
    _, status = os.waitpid(pid, 0)
    result.append(exit_code(status))

def fork_thread_main():
    for i in range(60):
        main_thread_work(i)
    result = []
    t = threading.Thread(target=forker, args=(result,), name="forker")
    t.start()
    t.join()
    print("child exit code", result[0])

fork_thread_main()
'''


def test_fork_from_non_main_thread(ftrace):
    prog = ftrace.write_program(FORK_THREAD_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert plain.stdout == b"child exit code 7\n"
    procs = per_process(profile)
    assert len(procs) == 2
    root = root_of(procs)
    child = owner(procs, "thread_fork_child_work")
    assert child["counts"]["thread_fork_child_work"] == 25
    # Neither the forking thread's nor the main thread's buffered events reach the child.
    assert root["counts"]["forker_before_fork"] == 40
    assert root["counts"]["main_thread_work"] == 60
    assert child["counts"]["forker_before_fork"] == 0
    assert child["counts"]["main_thread_work"] == 0
    assert total_calls(procs, "forker_before_fork") == 40
    assert sorted(t["name"] for t in root["threads"]) == ["MainThread", "forker"]
    assert len(child["threads"]) == 1 and child["threads"][0]["isMainThread"]
    assert_child_of(child, root)


# ---- workers that end with os._exit ----------------------------------------------------------

OS_EXIT_PROG = r'''
import os
''' + EXIT_CODE_SRC + r'''

def exit_worker_a(i):
    return i

def exit_worker_b(i):
    return i

def exit_worker_c(i):
    return i

def os_exit_main():
    codes = []
    for k, (work, code) in enumerate([(exit_worker_a, 0), (exit_worker_b, 3), (exit_worker_c, 9)]):
        pid = os.fork()
        if pid == 0:
            for i in range(10 + k):
                work(i)
            os._exit(code)  # no atexit, no flush of Python's buffers
        codes.append(exit_code(os.waitpid(pid, 0)[1]))
    print("codes", codes)

os_exit_main()
'''


def test_workers_exiting_through_os_exit(ftrace):
    prog = ftrace.write_program(OS_EXIT_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert plain.stdout == b"codes [0, 3, 9]\n"
    procs = per_process(profile)
    assert len(procs) == 4
    root = root_of(procs)
    for k, fn in enumerate(["exit_worker_a", "exit_worker_b", "exit_worker_c"]):
        child = owner(procs, fn)
        assert child["counts"][fn] == 10 + k
        assert_child_of(child, root)


# ---- multiprocessing -------------------------------------------------------------------------

MP_PROG = r'''
import multiprocessing as mp
import sys

def mp_child_{method}(i):
    return i * i

def target(n, q):
    q.put(sum(mp_child_{method}(i) for i in range(n)))

def mp_parent_main():
    ctx = mp.get_context("{method}")
    q = ctx.Queue()
    p = ctx.Process(target=target, args=(17, q))
    p.start()
    r = q.get()
    p.join()
    print("{method}", r, p.exitcode)

if __name__ == "__main__":
    mp_parent_main()
'''


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_process(ftrace, method):
    prog = ftrace.write_program(MP_PROG.replace("{method}", method), name=f"mp_{method}.py")
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert plain.stdout == f"{method} {sum(i * i for i in range(17))} 0\n".encode()
    procs = per_process(profile)
    root = root_of(procs)
    fn = f"mp_child_{method}"
    child = owner(procs, fn)
    assert child["counts"][fn] == 17
    assert root["counts"][fn] == 0
    helpers = helpers_of(procs)
    assert len(helpers) == (0 if method == "fork" else 1), [p["name"] for p in procs.values()]
    for h in helpers:
        assert_child_of(h, root)
    if method == "forkserver":
        # The child is forked by the fork server, itself a child of the program.
        server = [p for p in procs.values() if p not in (root, child, *helpers)]
        assert len(server) == 1 and "forkserver" in server[0]["name"], \
            [p["name"] for p in procs.values()]
        assert_child_of(server[0], root)
        assert_child_of(child, server[0])
    else:
        assert len(procs) == 2 + len(helpers), [p["name"] for p in procs.values()]
        assert_child_of(child, root)
    if method == "spawn":
        assert "spawn_main" in child["name"]


POOL_PROG = r'''
import multiprocessing as mp

def pool_task(x):
    return x * x

def pool_worker_ready(barrier):
    barrier.wait()  # both workers are up (and traced) before any task runs

def pool_main(method):
    ctx = mp.get_context(method)
    barrier = ctx.Barrier(2)
    # __exit__ terminates the workers (SIGTERM): their events must be written all the same.
    with ctx.Pool(2, initializer=pool_worker_ready, initargs=(barrier,)) as pool:
        print(sum(pool.map(pool_task, range(40), chunksize=1)))

if __name__ == "__main__":
    import sys
    pool_main(sys.argv[1])
'''


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_pool(ftrace, method):
    prog = ftrace.write_program(POOL_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog, [method])
    assert plain.stdout == f"{sum(x * x for x in range(40))}\n".encode()
    procs = per_process(profile)
    root = root_of(procs)
    assert root["counts"]["pool_task"] == 0
    helpers = helpers_of(procs)
    workers = [p for p in procs.values() if p is not root and p not in helpers]
    assert len(workers) == 2, [p["name"] for p in procs.values()]
    # Every task ran in a worker, and every worker's events were written before SIGTERM.
    assert total_calls(procs, "pool_task") == 40
    for w in workers:
        assert w["counts"]["pool_worker_ready"] == 1
        assert_child_of(w, root)


EXECUTOR_PROG = r'''
from concurrent.futures import ProcessPoolExecutor

def executor_task(x):
    return x + 1

def executor_main():
    with ProcessPoolExecutor(max_workers=2) as ex:
        print(sum(ex.map(executor_task, range(30))))

if __name__ == "__main__":
    executor_main()
'''


def test_process_pool_executor(ftrace):
    prog = ftrace.write_program(EXECUTOR_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    assert plain.stdout == f"{sum(range(1, 31))}\n".encode()
    procs = per_process(profile)
    root = root_of(procs)
    workers = [p for p in procs.values() if p is not root]
    assert 1 <= len(workers) <= 2, [p["name"] for p in procs.values()]
    assert root["counts"]["executor_task"] == 0
    assert total_calls(procs, "executor_task") == 30
    for w in workers:
        assert_child_of(w, root)


# ---- os.exec* --------------------------------------------------------------------------------

EXEC_PROG = r'''
import os, sys
HERE = os.path.dirname(os.path.abspath(__file__))

def before_exec(i):
    return i

for i in range(33):
    before_exec(i)
print("about to exec", flush=True)
how = sys.argv[1]
if how == "execv":
    os.execv(sys.executable, [sys.executable, "-c",
             "def after_execv(i):\n    return i\nfor i in range(21):\n    after_execv(i)\n"
             "print('execv done')\nraise SystemExit(6)"])
elif how == "execlp":
    os.execlp("python3", "python3", os.path.join(HERE, "after_execlp.py"))
else:
    os.execv("/bin/sh", ["sh", "-c", "echo not python; exit 2"])
'''


@pytest.mark.parametrize("how,code", [("execv", 6), ("execlp", 0), ("sh", 2)])
def test_exec_replacing_a_traced_process(ftrace, how, code):
    ftrace.write_program(child_src("after_execlp", 19), name="after_execlp.py")
    prog = ftrace.write_program(EXEC_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog, [how])
    assert plain.returncode == code
    procs = per_process(profile)
    root = root_of(procs)
    # The events written before exec are all there.
    assert root["counts"]["before_exec"] == 33
    assert_root(root)
    if how == "sh":
        assert len(procs) == 1
        return
    fn = {"execv": "after_execv", "execlp": "after_execlp"}[how]
    new = owner(procs, fn)
    assert new["counts"][fn] == {"execv": 21, "execlp": 19}[how]
    assert new["counts"]["before_exec"] == 0
    # Same pid, two processes: kept apart, the new program shown as coming from the old one.
    assert len(procs) == 2
    assert new["pid"].split(".")[0] == root["pid"] and new["pid"] != root["pid"]
    assert_child_of(new, root, verb="exec'd from")
    dirs = list(thread_files(rec.trace_dir).keys())
    assert len(dirs) == 2 and dirs[0].split("-")[0] == dirs[1].split("-")[0], dirs


# ---- one clock -------------------------------------------------------------------------------

CLOCK_PROG = r'''
import subprocess, time

def clock_before():
    time.sleep(0.02)

def clock_after():
    time.sleep(0.02)

def clock_main():
    clock_before()
    subprocess.run(["python3", "-c", "def clock_child():\n    return 1\nclock_child()"],
                   check=True)
    clock_after()

clock_main()
'''


def test_all_processes_on_one_clock(ftrace):
    prog = ftrace.write_program(CLOCK_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog)
    procs = per_process(profile)
    root = root_of(procs)
    child = owner(procs, "clock_child")
    [main] = root["threads"]
    [cthread] = child["threads"]
    [before] = push_times(profile, main, "clock_before")
    [after] = push_times(profile, main, "clock_after")
    [child_call] = push_times(profile, cthread, "clock_child")
    # clock_before sleeps 20 ms and returns before the child starts; clock_after is called
    # only once the child has exited.
    assert before + 20 <= child_call < after, (before, child_call, after)
    child_times = pv.sample_times(cthread)
    assert before + 20 <= min(child_times) and max(child_times) <= after, \
        (before, min(child_times), max(child_times), after)


# ---- interpreters without a recorder ---------------------------------------------------------

def _pyenv_python(version_prefix):
    try:
        root = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, timeout=30).stdout.decode().strip()
    except (OSError, subprocess.SubprocessError):
        return None
    versions = Path(root) / "versions"
    if not root or not versions.is_dir():
        return None
    for v in sorted(versions.iterdir()):
        for exe in ("python3", "python"):
            if v.name.startswith(version_prefix) and (v / "bin" / exe).is_file():
                return str(v / "bin" / exe)
    return None


UNTRACED_PROG = r'''
import subprocess, sys

def untraced_parent_main():
    for exe in sys.argv[1:]:
        r = subprocess.run([exe, "py2_or_other.py", "x"], stdout=subprocess.PIPE)
        sys.stdout.write(r.stdout.decode())
        print("exit", r.returncode)

untraced_parent_main()
'''

# Valid Python 2 and 3; prints to both streams and exits with 3.
OTHER_CHILD = r'''
import sys
def other_interpreter_work():
    return sys.version_info[0]
sys.stdout.write("hello from %d.%d %s\n" % (sys.version_info[0], sys.version_info[1], sys.argv[1:]))
sys.stderr.write("child stderr line\n")
sys.exit(3)
'''


def test_interpreter_without_recorder_runs_untraced_with_one_warning(ftrace, test_python):
    import sys as _sys
    traced_minor = subprocess.run([test_python, "-c", "import sys; print(sys.version_info[1])"],
                                  stdout=subprocess.PIPE, check=True).stdout.decode().strip()
    py2 = _pyenv_python("2.7")
    # A Python 3 the recorder was not built for: every 3.8+ found is built, so normally an
    # unsupported 3.7/3.6.
    def has_build(path):
        interp = probe_interpreter(path)
        return interp is None or (build_dir() / "python" / "ftrace" /
                                  ("_ftrace" + interp.ext_suffix)).is_file()
    other = next((p for p in (_pyenv_python(f"3.{m}.") for m in (7, 6, 12, 13, 10, 9))
                  if p and f"3.{traced_minor}." not in p and not has_build(p)), None)
    if py2 is None or other is None:
        pytest.skip("needs pyenv's Python 2.7 and a Python 3 without a recorder build")
    ftrace.write_program(OTHER_CHILD, name="py2_or_other.py")
    prog = ftrace.write_program(UNTRACED_PROG)
    plain = ftrace.run_untraced(prog, [py2, other])
    out = ftrace.workdir / "untraced.dir"
    r = run([ftrace.binary, "record", "-o", out, "--", ftrace.python, prog, py2, other],
            cwd=prog.parent)
    assert r.returncode == plain.returncode == 0, r.describe()
    assert r.stdout == plain.stdout
    assert b"hello from 2.7 ['x']" in r.stdout and b"exit 3" in r.stdout
    err = program_stderr(r)
    warnings = [line for line in err.splitlines() if line.startswith(WARNING)]
    assert len(warnings) == 2, r.describe()  # exactly one per untraced interpreter
    assert b"Python 2.7" in warnings[0] and b"runs untraced" in warnings[0]
    assert b"runs untraced" in warnings[1]
    # Otherwise the stderr is the program's own.
    rest = b"".join(line + b"\n" for line in err.splitlines() if not line.startswith(WARNING))
    assert rest == plain.stderr
    profile, _ = ftrace.convert_load(out)
    procs = per_process(profile)
    assert len(procs) == 1
    assert owner(procs, "untraced_parent_main")["counts"]["other_interpreter_work"] == 0
    del _sys


# ---- --no-children ---------------------------------------------------------------------------

NO_CHILDREN_PROG = r'''
import multiprocessing as mp
import os, subprocess, sys

ENV_CODE = "import os; print(sorted(k for k in os.environ if 'FTRACE' in k), os.environ.get('PYTHONPATH'))"

def spawned_child():
    exec(ENV_CODE)

def no_children_main():
    print("top", sorted(k for k in os.environ if 'FTRACE' in k), os.environ.get("PYTHONPATH"),
          flush=True)
    subprocess.run(["python3", "-c", ENV_CODE], check=True)
    pid = os.fork()
    if pid == 0:
        print("forked", flush=True)
        os._exit(0)
    os.waitpid(pid, 0)
    p = mp.get_context("spawn").Process(target=spawned_child)
    p.start()
    p.join()
    print("done", p.exitcode)

if __name__ == "__main__":
    no_children_main()
'''


def test_no_children_traces_only_the_top_process(ftrace):
    prog = ftrace.write_program(NO_CHILDREN_PROG)
    profile, rec, plain = record_and_compare(ftrace, prog, extra=["--no-children"])
    assert WARNING not in rec.stderr
    # The children see the environment they would see without ftrace.
    # (Compared with this test's own environment, which may carry FTRACE_* settings such as
    # FTRACE_BUILD_DIR.)
    lines = plain.stdout.decode().splitlines()
    expected = "%s %s" % (sorted(k for k in os.environ if "FTRACE" in k),
                          os.environ.get("PYTHONPATH"))
    assert lines[1] == expected and lines[3] == expected, (lines, expected)
    procs = per_process(profile)
    assert len(procs) == 1, [p["name"] for p in procs.values()]
    root = root_of(procs)
    assert root["counts"]["spawned_child"] == 0
    dirs = thread_files(rec.trace_dir)
    assert len(dirs) == 1, dirs
