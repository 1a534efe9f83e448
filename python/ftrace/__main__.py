"""python -m ftrace [-o DIR] (script.py | -m module | -c code) [args...]

Runs the program traced, exactly as ``python script.py args`` (``-m module``, ``-c code``)
would: same sys.argv, sys.path[0] and __main__ module. Child Python processes are traced
too (as with ``ftrace record``). Convert the trace with ``ftrace convert DIR``.
"""
import os
import sys
import time

from ftrace import EXCEPTION_MODES as _EXCEPTION_MODES  # runpy imported the package already

USAGE = """usage: python -m ftrace [-o DIR] [--memory [--memory-threshold BYTES]]
                        [--exceptions auto|all|none]
                        (script.py | -m module | -c code) [args...]

Run a Python program under ftrace, like `ftrace record python3 ...`.

options:
  -o, --output DIR           trace directory to create (default: ./ftrace-YYYYMMDD-HHMMSS.dir)
  --memory                   also record allocations (Memory track, LargeAlloc markers)
  --memory-threshold BYTES   smallest allocation shown as a LargeAlloc marker
                             (default 1M; suffixes K, M, G = KiB, MiB, GiB)
  --exceptions MODE          exception markers: auto (default; every exception on 3.12+,
                             on 3.8-3.11 those leaving a function or raised by a built-in),
                             all (every exception; slower on 3.8-3.11), none
  -h, --help                 show this help

examples:
  python -m ftrace app.py --arg
  python -m ftrace --memory --memory-threshold 256K app.py
  python -m ftrace --exceptions all app.py
  python -m ftrace -o trace.dir -m mypackage.tool
  python -m ftrace -c "import json; json.dumps([1, 2])"
"""


_memory = False
_memory_threshold = None
_exceptions = "auto"


def _fail(text):
    sys.stderr.write("ftrace: %s\n" % text)
    sys.exit(2)


def parse_bytes(text):
    """'1048576', '512K', '1M', '2G' (binary units) -> bytes (>= 1), or None."""
    t = text.strip().upper()
    if t.endswith("IB"):
        t = t[:-2]
    elif t.endswith("B"):
        t = t[:-1]
    mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    if mult != 1:
        t = t[:-1]
    if not t.isdigit():
        return None
    n = int(t) * mult
    return n if 1 <= n < (1 << 63) else None


def _value(argv, i, names, missing):
    """The value of option argv[i] if it is one of ``names`` ("--opt VALUE", "--opt=VALUE";
    "-o VALUE" for short names) as (value, index after it); None if argv[i] is another one."""
    a = argv[i]
    for name in names:
        if a == name:
            if i + 1 >= len(argv):
                _fail(missing)
            return argv[i + 1], i + 2
        if name.startswith("--") and a.startswith(name + "="):
            return a.split("=", 1)[1], i + 1
    return None


def _parse(argv):
    out_dir = None
    global _memory, _memory_threshold, _exceptions
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if a == "--memory":
            _memory = True
            i += 1
            continue
        got = _value(argv, i, ("--memory-threshold",),
                     "--memory-threshold needs a size in bytes (e.g. 1048576, 512K, 1M)")
        if got is not None:
            value, i = got
            _memory_threshold = parse_bytes(value)
            if _memory_threshold is None:
                _fail("--memory-threshold: %r is not a size (e.g. 1048576, 512K, 1M)" % value)
            continue
        modes = ", ".join(_EXCEPTION_MODES)
        got = _value(argv, i, ("--exceptions",), "--exceptions needs one of %s" % modes)
        if got is not None:
            value, i = got
            if value not in _EXCEPTION_MODES:
                _fail("--exceptions needs one of %s, got %r" % (modes, value))
            _exceptions = value
            continue
        got = _value(argv, i, ("-o", "--output"),
                     "%s needs a directory (try: python -m ftrace -o trace.dir app.py)" % a)
        if got is not None:
            out_dir, i = got
            continue
        if a == "--":
            i += 1
            break
        break
    rest = argv[i:]
    if not rest:
        _fail("missing program (usage: python -m ftrace [-o DIR] (script.py | -m module | "
              "-c code) [args...])")
    if rest[0] in ("-m", "-c"):
        if len(rest) < 2:
            _fail("%s needs an argument" % rest[0])
        return out_dir, rest[0], rest[1], rest[2:]
    if _memory_threshold is not None and not _memory:
        _fail("--memory-threshold needs --memory")
    if rest[0].startswith("-"):
        _fail("unknown option %r (see python -m ftrace --help)" % rest[0])
    return out_dir, "script", rest[0], rest[1:]


def _make_trace_dir(requested):
    if requested:
        try:
            os.mkdir(requested, 0o700)
        except FileExistsError:
            if not os.path.isdir(requested) or os.listdir(requested):
                _fail("cannot create trace directory %r: it already exists and is not empty"
                      % requested)
        except OSError as e:
            _fail("cannot create trace directory %r: %s" % (requested, e.strerror))
        return requested
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1001):
        name = "ftrace-%s%s.dir" % (stamp, "" if n == 1 else "-%d" % n)
        try:
            os.mkdir(name, 0o700)
            return name
        except FileExistsError:
            continue
        except OSError as e:
            _fail("cannot create trace directory %r: %s" % (name, e.strerror))
    _fail("cannot find a free trace directory name in %s" % os.getcwd())


def _trace_children(trace_dir):
    """Child Python processes start recording through the bootstrap, as under ftrace record."""
    pkgroot = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    boot = os.path.join(pkgroot, "ftrace", "_bootstrap")
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = boot + (os.pathsep + old if old else "")
    os.environ["FTRACE_DIR"] = os.path.abspath(trace_dir)
    os.environ["FTRACE_PKGROOT"] = pkgroot
    os.environ["FTRACE_EXCEPTIONS"] = _exceptions
    if _memory:
        os.environ["FTRACE_MEMORY"] = "1"
        if _memory_threshold is not None:
            os.environ["FTRACE_MEMORY_THRESHOLD"] = str(_memory_threshold)


def _fresh_main():
    import types

    mod = types.ModuleType("__main__")
    mod.__dict__["__builtins__"] = sys.modules["builtins"]
    sys.modules["__main__"] = mod
    return mod


def _run_script(path, args):
    from importlib.machinery import SourceFileLoader

    sys.argv[:] = [path] + list(args)
    real = os.path.realpath(path)
    sys.path[0] = os.path.dirname(real)
    filename = os.path.abspath(path) if sys.version_info >= (3, 9) else path
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n"
                         % (sys.executable, path, e.errno, e.strerror))
        sys.exit(2)
    mod = _fresh_main()
    mod.__dict__.update(__file__=filename, __cached__=None, __package__=None, __spec__=None,
                        __loader__=SourceFileLoader("__main__", filename))
    code = compile(source, filename, "exec", dont_inherit=True)
    exec(code, mod.__dict__)


def _run_module(name, args):
    import runpy

    sys.argv[:] = ["-m"] + list(args)
    _fresh_main()
    runpy._run_module_as_main(name, alter_argv=True)


def _run_code(code, args):
    import importlib.machinery

    sys.argv[:] = ["-c"] + list(args)
    sys.path[0] = ""
    mod = _fresh_main()
    mod.__dict__.update(__package__=None, __spec__=None,
                        __loader__=importlib.machinery.BuiltinImporter)
    exec(compile(code, "<string>", "exec", dont_inherit=True), mod.__dict__)


def main():
    out_dir, kind, target, args = _parse(sys.argv[1:])
    import atexit

    import ftrace

    trace_dir = _make_trace_dir(out_dir)

    def _final_line():
        sys.stderr.flush()
        sys.stderr.write("ftrace: trace written to %s; convert it with: ftrace convert %s\n"
                         % (trace_dir, trace_dir))

    atexit.register(_final_line)  # registered first: runs after the recorder's last flush
    _trace_children(trace_dir)
    ftrace.start(trace_dir, _include_open_frames=False, memory=_memory,
                 memory_threshold=_memory_threshold, exceptions=_exceptions)
    this_file = os.path.abspath(__file__)
    try:
        if kind == "script":
            _run_script(target, args)
        elif kind == "-m":
            _run_module(target, args)
        else:
            _run_code(target, args)
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException:
        # As plain python: the traceback (without ftrace's own frames), exit status 1.
        t, v, tb = sys.exc_info()
        while tb is not None and tb.tb_frame.f_code.co_filename in (this_file, _RUNPY):
            tb = tb.tb_next
        v.__traceback__ = tb  # the default hook prints the exception's own traceback
        sys.excepthook(t, v, tb)
        sys.exit(1)


try:
    import runpy as _runpy_mod

    _RUNPY = os.path.abspath(_runpy_mod.__file__)
except Exception:  # pragma: no cover
    _RUNPY = None

if __name__ == "__main__":
    main()
