#include "profiler_hook.h"

#include <exception>
#include <memory>
#include <new>
#include <string>

#include "clock.h"
#include "event_hooks.h"
#include "process_session.h"

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

// threading.setprofile callback: called as (frame, event, arg) at the first event of a new
// thread (the call of Thread.run).
PyObject* trampoline(PyObject*, PyObject* const* args, Py_ssize_t nargs) {
    const uint64_t tick = clock::now();
    Session& session = Session::instance();
    try {
        if (!session.active()) {
            PyEval_SetProfile(nullptr, nullptr);
            Py_RETURN_NONE;
        }
        std::shared_ptr<ThreadRecorder> rec = session.register_current_thread(true);
        if (!rec || !install_on_current_thread(rec)) {
            PyEval_SetProfile(nullptr, nullptr);
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        session.thread_started(rec.get(), tick);
        if (nargs >= 2 && PyFrame_Check(args[0]) && PyUnicode_Check(args[1]) &&
            PyUnicode_CompareWithASCIIString(args[1], "call") == 0) {
            auto* frame = reinterpret_cast<PyFrameObject*>(args[0]);
            rec->on_call(tick, session.registry().id_for_code(compat::frame_code(frame)), false);
        }
    } catch (const std::exception& e) {
        session.fail(std::string("internal error in the thread hook: ") + e.what());
    } catch (...) {
        session.fail("internal error in the thread hook");
    }
    Py_RETURN_NONE;
}

PyMethodDef trampoline_def = {"_ftrace_thread_start", reinterpret_cast<PyCFunction>(
                                  reinterpret_cast<void (*)()>(trampoline)),
                              METH_FASTCALL, "ftrace: installs the recorder in a new thread"};

}  // namespace

int profile_hook(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg) {
    const uint64_t tick = clock::now();
    ThreadRecorder* rec = reinterpret_cast<ThreadHandle*>(obj)->rec;
    if (!rec->recording()) return 0;
    Session& session = Session::instance();
    try {
        switch (what) {
            case PyTrace_CALL:
                rec->on_call(tick, session.registry().id_for_code(compat::frame_code(frame)),
                             false);
                break;
            case PyTrace_RETURN:
                // arg == NULL: the frame is left by an exception (cold path).
                if (arg == nullptr) events::note_unwind(rec, tick);
                if (rec->on_return(tick, false)) session.end_thread(rec);
                break;
            case PyTrace_C_CALL:
                // Only real C functions: the skip is symmetric because C_RETURN/C_EXCEPTION
                // receive the same callable as the C_CALL they close.
                if (PyCFunction_Check(arg)) {
                    rec->on_call(tick, session.registry().id_for_cfunction(arg), true);
                }
                break;
            case PyTrace_C_RETURN:
                if (PyCFunction_Check(arg) && rec->on_return(tick, true)) session.end_thread(rec);
                break;
            case PyTrace_C_EXCEPTION:
                if (PyCFunction_Check(arg) && rec->on_return(tick, true)) session.end_thread(rec);
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

bool install_on_current_thread(const std::shared_ptr<ThreadRecorder>& rec) {
    ThreadHandle* h = make_handle(rec);
    if (h == nullptr) return false;
    PyEval_SetProfile(profile_hook, reinterpret_cast<PyObject*>(h));
    Py_DECREF(h);  // the thread state holds it now
    return true;
}

bool install_on_thread(PyThreadState* ts, const std::shared_ptr<ThreadRecorder>& rec) {
    ThreadHandle* h = make_handle(rec);
    if (h == nullptr) return false;
    bool ok = compat::set_profile_of(ts, profile_hook, reinterpret_cast<PyObject*>(h));
    Py_DECREF(h);
    return ok;
}

void uninstall_current_thread() {
    if (compat::profile_func_of(PyThreadState_Get()) == profile_hook) {
        PyEval_SetProfile(nullptr, nullptr);
    }
}

ThreadRecorder* current_recorder() {
    PyThreadState* ts = PyThreadState_Get();
    if (compat::profile_func_of(ts) != profile_hook || ts->c_profileobj == nullptr) return nullptr;
    return reinterpret_cast<ThreadHandle*>(ts->c_profileobj)->rec;
}

PyObject* thread_trampoline() {
    static PyObject* fn = nullptr;  // kept forever: a thread may still be inside it
    if (fn == nullptr) fn = PyCFunction_New(&trampoline_def, nullptr);
    return fn;
}

}  // namespace ftrace::record::hook
