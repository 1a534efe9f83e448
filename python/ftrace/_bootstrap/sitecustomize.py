# ftrace bootstrap, loaded by every Python process started under `ftrace record`.
#
# `ftrace record` puts this folder first on PYTHONPATH and sets FTRACE_DIR (the trace
# directory) and FTRACE_PKGROOT (the folder holding the `ftrace` package). This module starts
# the recorder before user code runs, takes itself out of sys.path, and then hands over to any
# other sitecustomize the user has, so the program sees the sys.path and sitecustomize it
# would have seen without ftrace. FTRACE_DIR and PYTHONPATH stay in os.environ so that child
# processes are traced too, unless `ftrace record --no-children` set FTRACE_CHILDREN=0: then
# the first Python process restores the environment it would have had without ftrace
# (PYTHONPATH from FTRACE_ORIG_PYTHONPATH), so its children run untraced and silent.
#
# This file must stay valid Python 2 syntax: a Python 2 interpreter started under
# `ftrace record` must run untraced with one warning, not fail with a SyntaxError.
import os
import sys


def _ftrace_warn(text):
    try:
        sys.stderr.write("ftrace: warning: %s\n" % text)
        sys.stderr.flush()
    except Exception:
        pass


def _ftrace_untraced_warning():
    _ftrace_warn(
        "no ftrace recorder for Python %d.%d (%s); this process runs untraced"
        % (sys.version_info[0], sys.version_info[1], sys.executable)
    )


def _ftrace_same_dir(a, b):
    try:
        return os.path.realpath(a or os.curdir) == os.path.realpath(b)
    except Exception:
        return False


def _ftrace_forget_environment():
    # --no-children: this process is the only one traced; its children get the environment
    # they would have had without ftrace.
    for name in ("FTRACE_DIR", "FTRACE_PKGROOT", "FTRACE_CHILDREN", "FTRACE_MODE",
                 "FTRACE_MEMORY", "FTRACE_MEMORY_THRESHOLD", "FTRACE_EXCEPTIONS"):
        os.environ.pop(name, None)
    original = os.environ.pop("FTRACE_ORIG_PYTHONPATH", None)
    if original is None:
        os.environ.pop("PYTHONPATH", None)
    else:
        os.environ["PYTHONPATH"] = original


def _ftrace_start(here):
    # Our own folder leaves sys.path first: the user's sys.path is unchanged.
    sys.path[:] = [p for p in sys.path if not _ftrace_same_dir(p, here)]

    trace_dir = os.environ.get("FTRACE_DIR")
    pkgroot = os.environ.get("FTRACE_PKGROOT")
    children = os.environ.get("FTRACE_CHILDREN", "1") != "0"
    python_only = os.environ.get("FTRACE_MODE") == "python-only"  # ftrace record --python-only
    memory = os.environ.get("FTRACE_MEMORY") == "1"  # ftrace record --memory
    exceptions = os.environ.get("FTRACE_EXCEPTIONS") or "auto"  # ftrace record --exceptions
    try:
        memory_threshold = int(os.environ.get("FTRACE_MEMORY_THRESHOLD", ""))
    except ValueError:
        memory_threshold = None  # unset (the recorder's default)
    if not children:
        _ftrace_forget_environment()
    if not trace_dir or not pkgroot:
        return
    if sys.version_info < (3, 8):
        _ftrace_untraced_warning()
        return
    sys.path.insert(0, pkgroot)
    try:
        try:
            import ftrace
        finally:
            try:
                sys.path.remove(pkgroot)
            except ValueError:
                pass
        ftrace._autostart(trace_dir, children, python_only, memory, memory_threshold, exceptions)
    except ImportError:
        _ftrace_untraced_warning()
    except Exception:
        _ftrace_warn(
            "cannot start the recorder (%s: %s); this process runs untraced"
            % (sys.exc_info()[0].__name__, sys.exc_info()[1])
        )


def _ftrace_chain(this_module):
    # Hand over to the next sitecustomize on sys.path, if any (ours is no longer on it).
    del sys.modules["sitecustomize"]
    try:
        import sitecustomize  # noqa: F401  (the user's)
    except ImportError:
        err = sys.exc_info()[1]
        if getattr(err, "name", "sitecustomize") != "sitecustomize" or (
            sys.version_info[0] < 3 and "sitecustomize" not in str(err)
        ):
            raise  # a genuine error inside the user's sitecustomize
    finally:
        # The import statement that loaded us expects a module under this name afterwards.
        if "sitecustomize" not in sys.modules:
            sys.modules["sitecustomize"] = this_module


_ftrace_start(os.path.dirname(os.path.abspath(__file__)))
_ftrace_chain(sys.modules[__name__])
