#include "eval_frame_hook.h"

#include <exception>
#include <string>

#include "clock.h"
#include "eval_frame_compat.h"
#include "event_hooks.h"
#include "process_session.h"
#include "thread_binding.h"
#include "thread_recorder.h"

// 3.9+ (3.8 has no API to set the hook: eval_frame_hook_unavailable.cpp, chosen by
// record/CMakeLists.txt).
static_assert(ftrace::record::eval_compat::kAvailable,
              "eval_frame_hook.cpp is built for Python 3.9+ only");

namespace ftrace::record::eval_hook {

namespace {

using eval_compat::EvalFunc;
using eval_compat::Frame;

EvalFunc g_prev = nullptr;  // what ran frames before us: the default or another tool's hook
bool g_installed = false;

[[gnu::noinline]] void fail(const char* what) {
    Session::instance().fail(std::string("internal error in the frame hook: ") + what);
}

// `result` null: the frame is left by an exception (its exception marker, then the return).
inline void record_return(ThreadRecorder* rec, PyObject* result) {
    if (rec == nullptr || !rec->recording()) return;
    const uint64_t tick = clock::now();
    if (result == nullptr) [[unlikely]] events::note_unwind(rec, tick);
    if (rec->on_return(tick, false)) Session::instance().end_thread(rec);
}

PyObject* hook(PyThreadState* ts, Frame* frame, int throwflag) {
    ThreadRecorder* rec = t_recorder;
    if (rec == nullptr) [[unlikely]] {
        // Not bound (yet): look at the way out anyway, since a thread running at start is
        // bound inside a frame (by bind_hook) whose return may end the thread's recording.
        // Returns with nothing open are ignored by on_return.
        PyObject* result = g_prev(ts, frame, throwflag);
        record_return(t_recorder, result);
        return result;
    }
    PyCodeObject* code = eval_compat::frame_code(frame);
    if (!rec->recording() || code == nullptr || eval_compat::is_generator_creation(frame, code))
        [[unlikely]] {
        return g_prev(ts, frame, throwflag);
    }
    const uint64_t tick = clock::now();
    try {
        rec->on_call(tick,
                     Session::instance().registry().id_for_code(
                         code, eval_compat::frame_object(frame)),
                     false);
    } catch (const std::exception& e) {
        fail(e.what());
        return g_prev(ts, frame, throwflag);
    }
    PyObject* result = g_prev(ts, frame, throwflag);
    record_return(t_recorder, result);  // re-read: the frame may have ended this thread's recording
    return result;
}

}  // namespace

bool available() { return true; }

void install() {
    if (g_installed) return;
    PyInterpreterState* interp = PyThreadState_GetInterpreter(PyThreadState_Get());
    EvalFunc current = eval_compat::get_eval(interp);
    if (current != &hook) g_prev = current;  // chain to a debugger's or JIT's hook
    eval_compat::set_eval(interp, &hook);
    g_installed = true;
}

void uninstall() {
    if (!g_installed) return;
    PyInterpreterState* interp = PyThreadState_GetInterpreter(PyThreadState_Get());
    if (eval_compat::get_eval(interp) == &hook) {
        eval_compat::set_eval(interp, g_prev);
        g_installed = false;
    }
    // else another tool chained over us: stay, forwarding (no recorder is recording now).
}

}  // namespace ftrace::record::eval_hook
