// Exception capture on 3.12+ (built instead of exception_capture_trace.cpp there;
// record/CMakeLists.txt): sys.monitoring RAISE, in every frame the exception enters.
#include "event_hooks.h"
#include "exception_capture.h"

#include <exception>
#include <string>

#include "clock.h"
#include "hook_mechanism.h"
#include "monitoring_hook.h"
#include "process_session.h"
#include "profiler_hook.h"
#include "py_util.h"
#include "thread_recorder.h"

static_assert(PY_VERSION_HEX >= 0x030C0000,
              "exception_capture_monitoring.cpp is built for Python 3.12+ only");

namespace ftrace::record::events {

namespace {

// 3.12+: sys.monitoring hands the exception to RAISE callbacks. With the Monitoring mechanism
// its own RAISE callback reports it (monitoring_hook.cpp); with the others (eval-frame,
// FTRACE_HOOK=setprofile) ours below does, under a tool id no other tool holds.
int g_tool_id = -1;
PyObject* g_raise_callback = nullptr;  // kept forever
bool g_warned_no_tool = false;

// RAISE(code, instruction_offset, exception)
PyObject* raise_callback(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    ThreadRecorder* rec = hook::current_recorder();
    if (rec == nullptr || !rec->recording() || nargs < 3 || !PyCode_Check(args[0]) ||
        !Session::instance().active()) {
        Py_RETURN_NONE;
    }
    note_raise(rec, clock::now(), args[0], args[2]);
    Py_RETURN_NONE;
}

PyMethodDef raise_def = {"_ftrace_raise", reinterpret_cast<PyCFunction>(
                             reinterpret_cast<void (*)()>(raise_callback)),
                         METH_FASTCALL, "ftrace: exception markers (sys.monitoring RAISE)"};

PyObject* monitoring() {  // sys.monitoring (new reference, or null)
    PyObject* sys_mon = PySys_GetObject("monitoring");  // borrowed
    Py_XINCREF(sys_mon);
    return sys_mon;
}

long raise_event(PyObject* mon) {
    PyObject* events = PyObject_GetAttrString(mon, "events");
    PyObject* v = events != nullptr ? PyObject_GetAttrString(events, "RAISE") : nullptr;
    long e = v != nullptr ? PyLong_AsLong(v) : -1;
    Py_XDECREF(v);
    Py_XDECREF(events);
    return e;
}

void install_raise_monitoring() {
    if (g_tool_id >= 0) return;
    PyObject* mon = monitoring();
    if (mon == nullptr) return;
    const long event = raise_event(mon);
    if (g_raise_callback == nullptr) g_raise_callback = PyCFunction_New(&raise_def, nullptr);
    for (int id : monitoring_hook::kToolIdOrder) {
        if (event < 0 || g_raise_callback == nullptr) break;
        PyObject* holder = PyObject_CallMethod(mon, "get_tool", "i", id);
        const bool free_id = holder == Py_None;
        Py_XDECREF(holder);
        if (!free_id) continue;
        PyObject* r = PyObject_CallMethod(mon, "use_tool_id", "is", id, "ftrace");
        if (r == nullptr) {  // taken meanwhile
            PyErr_Clear();
            continue;
        }
        Py_DECREF(r);
        r = PyObject_CallMethod(mon, "register_callback", "ilO", id, event, g_raise_callback);
        Py_XDECREF(r);
        r = r != nullptr ? PyObject_CallMethod(mon, "set_events", "il", id, event) : nullptr;
        if (r == nullptr) {
            PyErr_Clear();
            PyObject* f = PyObject_CallMethod(mon, "free_tool_id", "i", id);
            Py_XDECREF(f);
            break;
        }
        Py_DECREF(r);
        g_tool_id = id;
        break;
    }
    PyErr_Clear();
    Py_DECREF(mon);
    if (g_tool_id < 0 && !g_warned_no_tool) {
        g_warned_no_tool = true;
        warn("every sys.monitoring tool id is taken by other tools; exception markers are not "
             "recorded");
    }
}

void uninstall_raise_monitoring() {
    if (g_tool_id < 0) return;
    PyObject* mon = monitoring();
    if (mon != nullptr) {
        const long event = raise_event(mon);
        PyObject* r = PyObject_CallMethod(mon, "set_events", "ii", g_tool_id, 0);
        Py_XDECREF(r);
        if (event >= 0) {
            r = PyObject_CallMethod(mon, "register_callback", "ilO", g_tool_id, event, Py_None);
            Py_XDECREF(r);
        }
        r = PyObject_CallMethod(mon, "free_tool_id", "i", g_tool_id);
        Py_XDECREF(r);
        Py_DECREF(mon);
    }
    PyErr_Clear();
    g_tool_id = -1;
}

}  // namespace

void install_exception_hooks() {
    if (g_exception_mode == ExceptionMode::None) return;
    if (g_mechanism == Mechanism::Monitoring) return;  // its own RAISE reports them
    ErrorGuard guard;
    install_raise_monitoring();
}

void uninstall_exception_hooks() {
    ErrorGuard guard;
    uninstall_raise_monitoring();
}

// --exceptions all is the default here: RAISE already reports every exception.
void hook_thread_exceptions(PyThreadState*) {}
void unhook_current_thread_exceptions() {}

void note_raise(ThreadRecorder* rec, uint64_t tick, PyObject* code, PyObject* exc) {
    if (g_exception_mode == ExceptionMode::None || rec == nullptr || !rec->recording() || code == nullptr || !PyCode_Check(code) ||
        exc == nullptr || !Session::instance().active()) {
        return;
    }
    ErrorGuard guard;
    try {
        const uint32_t id =
            Session::instance().registry().id_for_code(reinterpret_cast<PyCodeObject*>(code));
        PyObject* tb = PyException_GetTraceback(exc);  // new reference (or null)
        record_exception(rec, reinterpret_cast<PyObject*>(Py_TYPE(exc)), exc, tb, tick, id);
        Py_XDECREF(tb);
    } catch (const std::exception& e) {
        Session::instance().fail(std::string("cannot record an exception: ") + e.what());
    }
}

// 3.12+: RAISE in the caller's (or the calling) frame reports these.
void note_unwind(ThreadRecorder*, uint64_t) {}
void note_c_raise(ThreadRecorder*, uint64_t) {}

}  // namespace ftrace::record::events
