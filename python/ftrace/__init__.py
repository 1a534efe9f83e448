"""ftrace: a tracing profiler for Python.

Records every Python and C function call of a program (all threads, all child processes)
into a trace directory, which ``ftrace convert`` turns into a Firefox Profiler profile.

Usually started from the command line::

    ftrace record python3 app.py --arg

or ``python -m ftrace app.py --arg``, or from code::

    import ftrace

    with ftrace.trace("trace.dir"):      # or @ftrace.trace("trace.dir") on a function
        ftrace.marker("checkpoint", step=3)
        with ftrace.region("load"):
            ...

``marker`` and ``region`` cost next to nothing when the process is not being recorded.
"""
import os
import sys

try:
    from . import _ftrace
    _SUBINTERPRETER = False
except ImportError as _error:  # no recorder built for this interpreter
    _ftrace = None
    # 3.12+ does not load the extension in a subinterpreter (nor would ftrace record one).
    _SUBINTERPRETER = "subinterpreter" in str(_error)

__all__ = ["start", "stop", "is_active", "flush", "trace", "marker", "region"]


def _require_recorder():
    if _ftrace is None:
        raise ImportError(
            "no ftrace recorder for Python %d.%d (%s)"
            % (sys.version_info[0], sys.version_info[1], sys.executable)
        )
    return _ftrace


EXCEPTION_MODES = ("auto", "all", "none")


def start(trace_dir, _include_open_frames=True, children=True, python_only=False,
          memory=False, memory_threshold=None, exceptions="auto"):
    """Start recording this process into ``trace_dir`` (created if missing).

    Returns True when recording, False when it could not start (a warning line on stderr
    then says why; the program continues untraced). Every thread is traced, those already
    running and those started afterwards; the frames already open (the caller's stack) are
    shown as calls that begin at the start. With ``children=False``, processes forked from
    this one run untraced. With ``python_only``, only Python frames are recorded (no C
    calls), at a fraction of the cost. ``memory=True`` also records allocations and frees
    (a Memory track) and allocations of at least ``memory_threshold`` bytes (default 1 MiB)
    as LargeAlloc markers. ``exceptions`` chooses the exception markers: ``"auto"`` (every
    exception on 3.12+; on 3.8-3.11 those leaving a function or raised by a built-in function),
    ``"all"`` (every exception; on 3.8-3.11 through a trace function that slows the program
    down, see the README), ``"none"``.
    """
    ext = _require_recorder()
    threshold = ext.DEFAULT_MEMORY_THRESHOLD if memory_threshold is None else memory_threshold
    if int(threshold) < 1:
        raise ValueError("memory_threshold must be at least 1 byte, got %r" % (threshold,))
    if exceptions not in EXCEPTION_MODES:
        raise ValueError("exceptions must be one of %s, got %r"
                         % (", ".join(EXCEPTION_MODES), exceptions))
    started = ext.start(os.path.abspath(os.fspath(trace_dir)), _include_open_frames,
                        bool(children), bool(python_only), bool(memory), int(threshold),
                        exceptions)
    if started:
        _wrap_process_exits()
    return started


def stop():
    """Write every thread's remaining events and stop recording."""
    if _ftrace is not None:
        _ftrace.stop()


def is_active():
    """True while this process is being recorded."""
    return _ftrace is not None and _ftrace.is_active()


def flush():
    """Write every thread's buffered events now (recording continues)."""
    if _ftrace is not None:
        _ftrace.flush()


class trace(object):
    """Record the enclosed code into ``trace_dir``: a context manager and a decorator.

    ``with ftrace.trace("t.dir"): work()`` or ``@ftrace.trace("t.dir")``. Recording starts on
    entry and stops on exit; when the process is already being recorded (``ftrace record``)
    it just continues, and is not stopped on exit. ``memory``/``memory_threshold``/
    ``exceptions``: as for ``start``.
    """

    def __init__(self, trace_dir, memory=False, memory_threshold=None, exceptions="auto"):
        self.trace_dir = trace_dir
        self.memory = memory
        self.memory_threshold = memory_threshold
        self.exceptions = exceptions
        self._started = []

    def __enter__(self):
        started = not is_active() and start(self.trace_dir, memory=self.memory,
                                            memory_threshold=self.memory_threshold,
                                            exceptions=self.exceptions)
        self._started.append(started)
        return self

    def __exit__(self, *exc):
        if self._started.pop():
            stop()
        return False

    def __call__(self, func):
        import functools

        @functools.wraps(func)
        def traced(*args, **kwargs):
            with self:
                return func(*args, **kwargs)

        return traced


def marker(name, **fields):
    """An instant marker named ``name`` on the calling thread; ``fields`` become its data
    (numbers stay numbers, anything else is shown as str()). No-op when not recording."""
    if _ftrace is not None and _ftrace.is_active():
        t = _ftrace.now()
        _ftrace.add_marker(_ftrace.MARKER_USER, str(name), t, t, fields)


class region(object):
    """An interval marker named ``name`` covering the enclosed block (context manager);
    ``fields`` become its data. No-op when not recording."""

    __slots__ = ("name", "fields", "_start")

    def __init__(self, name, **fields):
        self.name = name
        self.fields = fields
        self._start = None

    def __enter__(self):
        if _ftrace is not None and _ftrace.is_active():
            self._start = _ftrace.now()
        return self

    def __exit__(self, *exc):
        if self._start is not None and _ftrace.is_active():
            _ftrace.add_marker(_ftrace.MARKER_USER_REGION, str(self.name), self._start,
                               _ftrace.now(), self.fields)
        self._start = None
        return False


def _autostart(trace_dir, children=True, python_only=False, memory=False, memory_threshold=None,
               exceptions="auto"):
    """Called by the bootstrap (sitecustomize) of ``ftrace record``, before user code.

    Raises ImportError when this interpreter has no recorder; never raises otherwise. A
    subinterpreter (which also runs sitecustomize) stays untraced, silently.
    """
    if _SUBINTERPRETER or (_ftrace is not None and not _ftrace.in_main_interpreter()):
        return False
    _require_recorder()
    if not trace_dir:
        return False
    # SIGTERM (default-handled) is taken care of in the extension: the last events are
    # written, then the process dies by SIGTERM (record/ext/sigterm_flush.h).
    return start(trace_dir, _include_open_frames=False, children=children,
                 python_only=python_only, memory=memory, memory_threshold=memory_threshold,
                 exceptions=exceptions)


_exits_wrapped = False


def _wrap_process_exits():
    """Flush before the process ends without running atexit handlers.

    ``os._exit`` (used by multiprocessing's forked children, among others) and the
    ``os.exec*`` family (all of which go through os.execv / os.execve) skip atexit, which
    would lose every buffered event. The wrappers write the last chunks first. If an exec
    then fails, the process continues untraced.
    """
    global _exits_wrapped
    if _exits_wrapped:
        return
    _exits_wrapped = True

    def wrap(name):
        real = getattr(os, name, None)
        if real is None:
            return

        def wrapper(*args, **kwargs):
            if _ftrace is not None:
                _ftrace.stop()
            return real(*args, **kwargs)

        wrapper.__name__ = real.__name__
        wrapper.__qualname__ = getattr(real, "__qualname__", real.__name__)
        wrapper.__doc__ = real.__doc__
        wrapper.__wrapped__ = real
        setattr(os, name, wrapper)

    for name in ("_exit", "execv", "execve"):
        wrap(name)
