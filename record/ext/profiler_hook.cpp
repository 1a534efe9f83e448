#include "profiler_hook.h"

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "clock.h"
#include "event_hooks.h"
#include "exception_capture.h"
#include "hook_mechanism.h"
#include "process_session.h"
#include "thread_binding.h"

namespace ftrace::record::hook {

namespace {

struct ThreadHandle {
    PyObject_HEAD
    ThreadRecorder* rec;                     // read by the hot path
    // Keeps `rec` alive while the hook can fire. Constructed in place: Python allocated the
    // object's memory, so C++ construction/destruction is explicit.
    std::shared_ptr<ThreadRecorder> owner;
};

void handle_dealloc(PyObject* self) {
    auto* h = reinterpret_cast<ThreadHandle*>(self);
    h->owner.~shared_ptr();  // may destroy the recorder (GIL held)
    PyTypeObject* tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

PyType_Slot handle_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(handle_dealloc)},
    {0, nullptr},
};
PyType_Spec handle_spec = {"ftrace._ftrace.ThreadHandle", sizeof(ThreadHandle), 0,
                           Py_TPFLAGS_DEFAULT, handle_slots};

PyTypeObject* handle_type() {
    static PyTypeObject* type = nullptr;  // created once, kept forever
    if (type == nullptr) type = reinterpret_cast<PyTypeObject*>(PyType_FromSpec(&handle_spec));
    return type;
}

}  // namespace

int profile_hook(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = reinterpret_cast<ThreadHandle*>(obj)->rec;
    if (!rec->recording()) {
        // A failure inside an allocator hook left the unhooking to the next safe point.
        if (Session::instance().fail_deferred()) Session::instance().finish_deferred_fail();
        return 0;
    }
    Session& session = Session::instance();
    try {
        switch (what) {
            case PyTrace_CALL:
                rec->on_call(tick, session.registry().id_for_code(compat::frame_code(frame), frame),
                             false);
                break;
            case PyTrace_RETURN:
                // arg == NULL: the frame is left by an exception (cold path).
                if (arg == nullptr) events::note_unwind(rec, tick);
                if (rec->on_return(tick, false)) session.end_thread(rec);
                break;
            case PyTrace_C_CALL:
                if (g_python_only) break;  // python-only fallback (no frame hook on 3.8)
                // Only real C functions: the skip is symmetric because C_RETURN/C_EXCEPTION
                // receive the same callable as the C_CALL they close.
                if (PyCFunction_Check(arg)) {
                    rec->on_call(tick, session.registry().id_for_cfunction(arg), true);
                }
                break;
            case PyTrace_C_RETURN:
                if (!g_python_only && PyCFunction_Check(arg) && rec->on_return(tick, true)) session.end_thread(rec);
                break;
            case PyTrace_C_EXCEPTION:
                events::note_c_raise(rec, tick);  // cold: the exception marker (3.8-3.11)
                if (!g_python_only && PyCFunction_Check(arg) && rec->on_return(tick, true)) session.end_thread(rec);
                break;
            default:
                break;
        }
    } catch (const std::exception& e) {
        session.fail(std::string("internal error in the profile hook: ") + e.what());
    } catch (...) {
        session.fail("internal error in the profile hook");
    }
    return 0;
}

namespace {
ThreadHandle* make_handle(const std::shared_ptr<ThreadRecorder>& rec) {
    PyTypeObject* type = handle_type();
    if (type == nullptr) return nullptr;
    ThreadHandle* h = PyObject_New(ThreadHandle, type);
    if (h == nullptr) return nullptr;
    h->rec = rec.get();
    new (&h->owner) std::shared_ptr<ThreadRecorder>(rec);
    return h;
}
}  // namespace

// The benchmark's reference (FTRACE_HOOK=noop-setprofile): what a profile function costs
// before it does anything.
int noop_hook(PyObject*, PyFrameObject*, int, PyObject*) { return 0; }

// Interpreter-wide mechanisms, a thread that was already running at start: t_recorder can only
// be set by the thread itself, so this one-shot profile function does it at the thread's next
// event, then removes itself. A call event is recorded here: the frame hook, or our
// sys.monitoring tool (a lower id than sys.setprofile's, so called first), saw that frame
// enter while the thread was unbound, and will see it leave.
int bind_hook(PyObject* obj, PyFrameObject* frame, int what, PyObject*) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = reinterpret_cast<ThreadHandle*>(obj)->rec;  // the session owns it too
    t_recorder = rec;
    PyEval_SetProfile(nullptr, nullptr);  // releases `obj`: not used below
    if (what != PyTrace_CALL || !rec->recording()) return 0;
    Session& session = Session::instance();
    try {
        PyCodeObject* code = compat::frame_code(frame);
        rec->on_call(tick, session.registry().id_for_code(code, frame), false);
    } catch (const std::exception& e) {
        session.fail(std::string("internal error in the thread hook: ") + e.what());
    }
    return 0;
}

Py_tracefunc per_thread_hook() {
    switch (g_mechanism) {
        case Mechanism::NoopSetProfile: return noop_hook;
        case Mechanism::EvalFrame:
        case Mechanism::Monitoring: return bind_hook;
        default: return profile_hook;
    }
}

bool install_on_current_thread(const std::shared_ptr<ThreadRecorder>& rec) {
    events::hook_thread_exceptions(PyThreadState_Get());
    if (binds_by_tls(g_mechanism)) {
        t_recorder = rec.get();  // the session's recorder list keeps it alive
        return true;
    }
    ThreadHandle* h = make_handle(rec);
    if (h == nullptr) return false;
    PyEval_SetProfile(per_thread_hook(), reinterpret_cast<PyObject*>(h));
    Py_DECREF(h);  // the thread state holds it now
    return true;
}

bool install_on_thread(PyThreadState* ts, const std::shared_ptr<ThreadRecorder>& rec) {
    ThreadHandle* h = make_handle(rec);
    if (h == nullptr) return false;
    bool ok = compat::set_profile_of(ts, per_thread_hook(), reinterpret_cast<PyObject*>(h));
    Py_DECREF(h);
    if (ok) events::hook_thread_exceptions(ts);
    return ok;
}

void uninstall_current_thread() {
    events::unhook_current_thread_exceptions();
    t_recorder = nullptr;
    Py_tracefunc f = compat::profile_func_of(PyThreadState_Get());
    if (f == profile_hook || f == noop_hook || f == bind_hook) {
        PyEval_SetProfile(nullptr, nullptr);
    }
}

namespace {
// The recorder of thread state `ts` when the C hook (with its handle) is installed there.
ThreadRecorder* recorder_of(PyThreadState* ts) {
    if (ts == nullptr) return nullptr;
    Py_tracefunc f = compat::profile_func_of(ts);
    if ((f != profile_hook && f != noop_hook) || ts->c_profileobj == nullptr) return nullptr;
    return reinterpret_cast<ThreadHandle*>(ts->c_profileobj)->rec;
}
}  // namespace

ThreadRecorder* current_recorder() {
    if (binds_by_tls(g_mechanism)) return t_recorder;
    return recorder_of(PyThreadState_Get());
}

ThreadRecorder* current_recorder_unchecked() {
    if (binds_by_tls(g_mechanism)) return t_recorder;
    return recorder_of(compat::current_tstate_unchecked());
}

ThreadRecorder* signal_thread_recorder() {
    if (binds_by_tls(g_mechanism)) return t_recorder;
    // Not _PyThreadState_UncheckedGet(): before 3.12 that is the GIL holder, maybe another
    // thread. PyGILState_GetThisThreadState() reads this thread's TSS slot.
    return recorder_of(PyGILState_GetThisThreadState());
}

}  // namespace ftrace::record::hook
