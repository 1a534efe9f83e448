#include "monitoring_hook.h"

#include <cstdarg>
#include <exception>
#include <string>

#include "clock.h"
#include "event_hooks.h"
#include "exception_capture.h"
#include "process_session.h"
#include "py_util.h"
#include "thread_binding.h"
#include "thread_recorder.h"

// 3.12+ (no sys.monitoring before: monitoring_hook_unavailable.cpp, chosen by
// record/CMakeLists.txt).
static_assert(PY_VERSION_HEX >= 0x030C0000, "monitoring_hook.cpp is built for Python 3.12+ only");

namespace ftrace::record::monitoring_hook {

namespace {

// sys.monitoring.events bits (PEP 669; the same numbers in 3.12 and 3.13).
constexpr int kPyStart = 0, kPyResume = 1, kPyReturn = 2, kPyYield = 3, kCall = 4, kRaise = 10,
              kPyUnwind = 12, kPyThrow = 13, kCReturn = 15, kCRaise = 16;

int g_tool = -1;  // the tool id we hold, or -1

[[gnu::noinline]] void fail(const char* what) {
    Session::instance().fail(std::string("internal error in the monitoring hook: ") + what);
}

// The id of a C callable we record (builtin function/method, or a method descriptor called
// with its self, e.g. list.append), or kNoFunc for anything else. C_RETURN/C_RAISE receive the
// callable of the CALL they close, so the same test keeps calls and returns paired.
inline uint32_t c_callable_id(PyObject* callable) {
    if (PyCFunction_Check(callable)) {
        return Session::instance().registry().id_for_cfunction(callable);
    }
    if (Py_IS_TYPE(callable, &PyMethodDescr_Type)) {
        return Session::instance().registry().id_for_method_descr(callable);
    }
    return kNoFunc;
}
inline bool is_c_callable(PyObject* callable) {
    return PyCFunction_Check(callable) || Py_IS_TYPE(callable, &PyMethodDescr_Type);
}

// PY_START, PY_RESUME, PY_THROW: (code, offset[, exception]) -> a call of code.
PyObject* on_py_call(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = t_recorder;
    if (rec != nullptr && rec->recording() && nargs >= 1 && PyCode_Check(args[0])) [[likely]] {
        try {
            rec->on_call(tick,
                         Session::instance().registry().id_for_code(
                             reinterpret_cast<PyCodeObject*>(args[0])),
                         false);
        } catch (const std::exception& e) {
            fail(e.what());
        }
    }
    Py_RETURN_NONE;
}

// PY_RETURN, PY_YIELD, PY_UNWIND: the frame leaves.
PyObject* on_py_return(PyObject*, PyObject* const*, Py_ssize_t) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = t_recorder;
    if (rec != nullptr && rec->recording() && rec->on_return(tick, false)) {
        Session::instance().end_thread(rec);
    }
    Py_RETURN_NONE;
}

// CALL: (code, offset, callable, arg0). Python callables are seen again by PY_START.
PyObject* on_call(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = t_recorder;
    if (rec != nullptr && rec->recording() && nargs >= 3 && is_c_callable(args[2])) {
        try {
            rec->on_call(tick, c_callable_id(args[2]), true);
        } catch (const std::exception& e) {
            fail(e.what());
        }
    }
    Py_RETURN_NONE;
}

// C_RETURN, C_RAISE: (code, offset, callable, arg0).
PyObject* on_c_return(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = t_recorder;
    if (rec != nullptr && rec->recording() && nargs >= 3 && is_c_callable(args[2]) &&
        rec->on_return(tick, true)) {
        Session::instance().end_thread(rec);
    }
    Py_RETURN_NONE;
}

// RAISE: (code, offset, exception): an exception enters code's frame (raised there, or
// propagated from a callee): the exception marker logic (cold).
PyObject* on_raise(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = t_recorder;
    if (rec != nullptr && rec->recording() && nargs >= 3) {
        events::note_raise(rec, tick, args[0], args[2]);
    }
    Py_RETURN_NONE;
}

#define FTRACE_FASTCALL(f) reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(f))
PyMethodDef py_call_def = {"ftrace_py_call", FTRACE_FASTCALL(on_py_call), METH_FASTCALL, nullptr};
PyMethodDef py_return_def = {"ftrace_py_return", FTRACE_FASTCALL(on_py_return), METH_FASTCALL,
                             nullptr};
PyMethodDef raise_def = {"ftrace_raise", FTRACE_FASTCALL(on_raise), METH_FASTCALL, nullptr};
PyMethodDef call_def = {"ftrace_call", FTRACE_FASTCALL(on_call), METH_FASTCALL, nullptr};
PyMethodDef c_return_def = {"ftrace_c_return", FTRACE_FASTCALL(on_c_return), METH_FASTCALL,
                            nullptr};
#undef FTRACE_FASTCALL

// Calls sys.monitoring.<name>(args...) ("O" format); new reference or null.
PyObject* call_monitoring(const char* name, const char* format, ...) {
    PyObject* monitoring = PySys_GetObject("monitoring");  // borrowed
    if (monitoring == nullptr) {
        PyErr_SetString(PyExc_RuntimeError, "sys.monitoring is missing");
        return nullptr;
    }
    PyObject* fn = PyObject_GetAttrString(monitoring, name);
    if (fn == nullptr) return nullptr;
    va_list va;
    va_start(va, format);
    PyObject* args = Py_VaBuildValue(format, va);
    va_end(va);
    PyObject* r = args != nullptr ? PyObject_CallObject(fn, args) : nullptr;
    Py_XDECREF(args);
    Py_DECREF(fn);
    return r;
}

bool register_callback(int tool, int event, PyMethodDef* def) {
    PyObject* fn = def != nullptr ? PyCFunction_New(def, nullptr) : Py_NewRef(Py_None);
    if (fn == nullptr) return false;
    PyObject* r = call_monitoring("register_callback", "(iiO)", tool, 1 << event, fn);
    Py_DECREF(fn);
    Py_XDECREF(r);
    return r != nullptr;
}

}  // namespace

bool available() { return true; }

// Measured by tests/bench (README): on 3.12 and 3.13 sys.monitoring with CALL/C_RETURN/C_RAISE
// costs less than PyEval_SetProfile, which 3.12 emulates on top of it (plus a frame object and,
// for method descriptors, a bound method per call).
bool preferred_for_full() { return true; }

bool install(bool python_only, std::string& error) {
    if (g_tool >= 0) return true;
    ErrorGuard guard;
    int tool = -1;
    std::string held;
    for (int id : kToolIdOrder) {
        PyObject* owner = call_monitoring("get_tool", "(i)", id);
        if (owner == nullptr) {
            PyErr_Clear();
            continue;
        }
        const bool is_free = owner == Py_None;
        if (!is_free) held += (held.empty() ? "" : ", ") + std::to_string(id) + " (" +
                              utf8_or(owner, "?") + ")";
        Py_DECREF(owner);
        if (!is_free) continue;
        PyObject* r = call_monitoring("use_tool_id", "(is)", id, "ftrace");
        if (r != nullptr) {
            Py_DECREF(r);
            tool = id;
            break;
        }
        PyErr_Clear();
    }
    if (tool < 0) {
        error = "no free sys.monitoring tool id (held: " + held + ")";
        return false;
    }
    bool ok = register_callback(tool, kPyStart, &py_call_def) &&
              register_callback(tool, kPyResume, &py_call_def) &&
              register_callback(tool, kPyThrow, &py_call_def) &&
              register_callback(tool, kPyReturn, &py_return_def) &&
              register_callback(tool, kPyYield, &py_return_def) &&
              register_callback(tool, kPyUnwind, &py_return_def) &&
              register_callback(tool, kRaise, &raise_def);
    long events = (1L << kPyStart) | (1L << kPyResume) | (1L << kPyThrow) | (1L << kPyReturn) |
                  (1L << kPyYield) | (1L << kPyUnwind);
    if (events::g_exception_mode != events::ExceptionMode::None) events |= 1L << kRaise;
    if (!python_only) {
        ok = ok && register_callback(tool, kCall, &call_def) &&
             register_callback(tool, kCReturn, &c_return_def) &&
             register_callback(tool, kCRaise, &c_return_def);
        events |= (1L << kCall) | (1L << kCReturn) | (1L << kCRaise);
    }
    if (ok) {
        PyObject* r = call_monitoring("set_events", "(il)", tool, events);
        ok = r != nullptr;
        Py_XDECREF(r);
    }
    g_tool = tool;
    if (!ok) {
        error = "cannot set up sys.monitoring";
        uninstall();
        return false;
    }
    return true;
}

void uninstall() {
    if (g_tool < 0) return;
    ErrorGuard guard;
    PyObject* r = call_monitoring("set_events", "(ii)", g_tool, 0);
    Py_XDECREF(r);
    for (int ev : {kPyStart, kPyResume, kPyThrow, kPyReturn, kPyYield, kPyUnwind, kRaise, kCall,
                   kCReturn, kCRaise}) {
        if (!register_callback(g_tool, ev, nullptr)) PyErr_Clear();
    }
    r = call_monitoring("free_tool_id", "(i)", g_tool);
    Py_XDECREF(r);
    PyErr_Clear();
    g_tool = -1;
}

}  // namespace ftrace::record::monitoring_hook
