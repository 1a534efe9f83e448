// Exception capture on 3.8-3.11 (built instead of exception_capture_monitoring.cpp there;
// record/CMakeLists.txt). CPython hides the exception from profile functions but reports it to
// a *trace* function (PyTrace_EXCEPTION) in every frame it enters.
//  - default (--exceptions auto): when a C function called from Python raises
//    (PyTrace_C_EXCEPTION) or a frame is left by an exception, a C trace function is armed for
//    that one next event and removes itself: nothing per call. An exception raised by Python
//    code itself (a `raise` statement, an operator) and caught in the same frame is not seen.
//  - --exceptions all: a C trace function on every traced thread for the whole run sees every
//    exception; CPython then runs every instruction through its tracing path (costs time,
//    measured in the README), so it is opt-in.
#include "event_hooks.h"
#include "exception_capture.h"

#include <exception>
#include <string>

#include "clock.h"
#include "hook_mechanism.h"
#include "process_session.h"
#include "profiler_hook.h"
#include "py_util.h"
#include "thread_recorder.h"

static_assert(PY_VERSION_HEX < 0x030C0000,
              "exception_capture_trace.cpp is built for Python 3.8-3.11 only");

namespace ftrace::record::events {

namespace {

bool g_warned_trace_taken = false;
bool g_warned_other_thread = false;

// --exceptions all: the whole-run trace function. Every event but EXCEPTION returns at once;
// CALL also switches off the frame's LINE events, so the function is not called per line.
int all_exc_trace(PyObject*, PyFrameObject* frame, int what, PyObject* arg) {
    if (what != PyTrace_EXCEPTION) [[likely]] {
        if (what == PyTrace_CALL) {
            compat::disable_line_events(frame);
            if (!Session::instance().active()) PyEval_SetTrace(nullptr, nullptr);  // stopped
        }
        return 0;
    }
    const uint64_t tick = clock::now();
    if (!Session::instance().active()) {
        PyEval_SetTrace(nullptr, nullptr);
        return 0;
    }
    ThreadRecorder* rec = hook::current_recorder();
    if (rec == nullptr || !rec->recording() || arg == nullptr || !PyTuple_Check(arg) ||
        PyTuple_GET_SIZE(arg) < 3) {
        return 0;
    }
    ErrorGuard guard;
    try {
        // The function of the frame it is seen in: where it was raised when first seen (later
        // sightings, as it travels out, continue the first one's marker).
        const uint32_t func_id =
            Session::instance().registry().id_for_code(compat::frame_code(frame), frame);
        record_exception(rec, PyTuple_GET_ITEM(arg, 0), PyTuple_GET_ITEM(arg, 1),
                         PyTuple_GET_ITEM(arg, 2), tick, func_id);
    } catch (const std::exception& e) {
        Session::instance().fail(std::string("cannot record an exception: ") + e.what());
    }
    return 0;
}

struct PendingSighting {
    ThreadRecorder* rec = nullptr;
    uint64_t tick = 0;
    uint32_t func_id = UINT32_MAX;
};
PendingSighting g_pending;  // GIL-protected: set and consumed on the same thread

int exc_trace(PyObject*, PyFrameObject*, int what, PyObject* arg) {
    PyEval_SetTrace(nullptr, nullptr);  // one event only
    PendingSighting p = g_pending;
    g_pending = PendingSighting{};
    if (what != PyTrace_EXCEPTION || p.rec == nullptr || hook::current_recorder() != p.rec ||
        !p.rec->recording() || arg == nullptr || !PyTuple_Check(arg) || PyTuple_GET_SIZE(arg) < 3) {
        return 0;  // the exception went back into C code, which handled it
    }
    ErrorGuard guard;
    PyObject* tb = PyTuple_GET_ITEM(arg, 2);
    // Raised right here (its traceback starts in this frame): this frame's function, whatever
    // armed the trace function; else the function of the frame it came out of.
    const bool raised_here = !PyTraceBack_Check(tb) ||
                             reinterpret_cast<PyTracebackObject*>(tb)->tb_next == nullptr;
    try {
        record_exception(p.rec, PyTuple_GET_ITEM(arg, 0), PyTuple_GET_ITEM(arg, 1), tb, p.tick,
                         raised_here ? p.rec->top_python_id() : p.func_id);
    } catch (const std::exception& e) {
        Session::instance().fail(std::string("cannot record an exception: ") + e.what());
    }
    return 0;
}

// The exception (raised in or leaving the frame of `func_id`) is reported to exc_trace by the
// frame it enters next.
void arm_exc_trace(ThreadRecorder* rec, uint64_t tick, uint32_t func_id) {
    PyThreadState* ts = PyThreadState_Get();
    if (ts->c_tracefunc == exc_trace && g_pending.rec == rec) {
        return;  // still armed by the frame the exception left on its way into this C call
    }
    if (ts->c_tracefunc != nullptr && ts->c_tracefunc != exc_trace) return;  // a debugger's
    g_pending = PendingSighting{rec, tick, func_id};
    PyEval_SetTrace(exc_trace, nullptr);
}

}  // namespace

void install_exception_hooks() {}  // per thread: hook_thread_exceptions

void uninstall_exception_hooks() {
    compat::clear_trace_everywhere(all_exc_trace);  // 3.8: other threads remove theirs (above)
}

void hook_thread_exceptions(PyThreadState* ts) {
    if (g_exception_mode != ExceptionMode::All || ts->c_tracefunc == all_exc_trace) return;
    if (ts->c_tracefunc != nullptr) {
        if (!g_warned_trace_taken) {
            g_warned_trace_taken = true;
            warn("--exceptions all: a thread already has a trace function (a debugger or "
                 "coverage tool); exceptions raised and caught in one function are not seen "
                 "on it");
        }
        return;
    }
    if (!compat::set_trace_of(ts, all_exc_trace, nullptr) && !g_warned_other_thread) {
        g_warned_other_thread = true;
        warn("--exceptions all: on Python 3.8 threads already running when tracing starts "
             "cannot be given the trace function; exceptions raised and caught in one "
             "function are not seen on them");
    }
}

void unhook_current_thread_exceptions() {
    if (PyThreadState_Get()->c_tracefunc == all_exc_trace) PyEval_SetTrace(nullptr, nullptr);
}

void note_raise(ThreadRecorder*, uint64_t, PyObject*, PyObject*) {}  // no RAISE before 3.12

void note_unwind(ThreadRecorder* rec, uint64_t tick) {
    if (g_exception_mode != ExceptionMode::Auto) return;  // all: the trace function sees it
    arm_exc_trace(rec, tick, rec->top_python_id());
}

void note_c_raise(ThreadRecorder* rec, uint64_t tick) {
    if (g_exception_mode != ExceptionMode::Auto) return;
    arm_exc_trace(rec, tick, rec->top_python_id());
}

}  // namespace ftrace::record::events
