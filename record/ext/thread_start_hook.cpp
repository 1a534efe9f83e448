#include "thread_start_hook.h"

#include <exception>
#include <memory>
#include <string>

#include "clock.h"
#include "module_swap.h"
#include "process_session.h"
#include "profiler_hook.h"
#include "py_util.h"
#include "thread_recorder.h"

namespace ftrace::record::thread_start_hook {

namespace {

// The callable a wrapped start function hands to the original: runs in the new thread.
struct ThreadBoot {
    PyObject_HEAD
    PyObject* func;        // strong: the thread's function
    PyObject* thread_obj;  // strong or null: the threading.Thread whose _bootstrap `func` is
};
PyTypeObject* g_boot_type = nullptr;  // kept forever

PyObject* boot_call(PyObject* self, PyObject* args, PyObject* kwargs) {
    const uint64_t tick = clock::now();
    auto* boot = reinterpret_cast<ThreadBoot*>(self);
    Session& session = Session::instance();
    std::shared_ptr<ThreadRecorder> rec;
    if (session.active() && hook::current_recorder() == nullptr) {
        try {
            rec = session.register_current_thread(true, boot->thread_obj);
            if (rec && hook::install_on_current_thread(rec)) {
                session.thread_started(rec.get(), tick);
            } else {
                if (rec) rec->abandon();
                rec.reset();
                PyErr_Clear();
            }
        } catch (const std::exception& e) {
            session.fail(std::string("internal error starting a thread: ") + e.what());
        }
    }
    PyObject* result = PyObject_Call(boot->func, args, kwargs);
    if (result == nullptr) {
        // Reported here, as _thread would, so sys.unraisablehook is told of the program's
        // function rather than of this wrapper.
        compat::report_thread_exception(boot->func);
        Py_INCREF(Py_None);
        result = Py_None;
    }
    // A C function, or one whose outermost return was not seen (3.8-3.11: the program's own
    // threading.setprofile replaced the hook in this thread), ends here.
    if (rec && rec->recording() && session.active()) {
        ErrorGuard guard;
        session.end_thread(rec.get());
    }
    return result;
}

void boot_dealloc(PyObject* self) {
    auto* boot = reinterpret_cast<ThreadBoot*>(self);
    Py_XDECREF(boot->func);
    Py_XDECREF(boot->thread_obj);
    PyTypeObject* tp = Py_TYPE(self);
    tp->tp_free(self);
    Py_DECREF(tp);
}

PyType_Slot boot_slots[] = {
    {Py_tp_call, reinterpret_cast<void*>(boot_call)},
    {Py_tp_dealloc, reinterpret_cast<void*>(boot_dealloc)},
    {0, nullptr},
};
PyType_Spec boot_spec = {"ftrace._ftrace.ThreadBoot", sizeof(ThreadBoot), 0, Py_TPFLAGS_DEFAULT,
                         boot_slots};

// The threading.Thread that `func` starts, if it is one's bound method (Thread.start() passes
// self._bootstrap): its name is known before the thread is in threading._active. Borrowed.
PyObject* thread_of(PyObject* func) {
    if (!PyMethod_Check(func)) return nullptr;
    PyObject* self = PyMethod_GET_SELF(func);
    PyObject* cls = module_attr("threading", "Thread");
    if (self == nullptr || cls == nullptr || !PyType_Check(cls)) return nullptr;
    return PyObject_TypeCheck(self, reinterpret_cast<PyTypeObject*>(cls)) ? self : nullptr;
}

// One wrapped attribute.
struct Slot {
    const char* module;
    const char* attr;
    PyMethodDef* def;
    PyObject* wrapper;  // made once, kept forever (a thread may be inside it)
    PyObject* orig;     // strong while swapped in
    // What the wrapper calls: the original, kept even after stop (a thread may have looked
    // the wrapper up just before it was swapped out). A later, different original replaces
    // it and the earlier one is kept alive forever, for the same reason.
    PyObject* target;
};

// Calls `orig` with the thread's function (args[0]) wrapped in a ThreadBoot; anything odd
// goes to `orig` unchanged, which then behaves (and fails) exactly as without ftrace.
PyObject* start_via(PyObject* orig, PyObject* args, PyObject* kwargs) {
    if (orig == nullptr) {
        PyErr_SetString(PyExc_RuntimeError, "ftrace: the original thread start function is gone");
        return nullptr;
    }
    if (!Session::instance().active() || g_boot_type == nullptr || !PyTuple_Check(args) ||
        PyTuple_GET_SIZE(args) < 1 || !PyCallable_Check(PyTuple_GET_ITEM(args, 0))) {
        return PyObject_Call(orig, args, kwargs);
    }
    PyObject* func = PyTuple_GET_ITEM(args, 0);
    ThreadBoot* boot = PyObject_New(ThreadBoot, g_boot_type);
    if (boot == nullptr) return nullptr;
    Py_INCREF(func);
    boot->func = func;
    boot->thread_obj = thread_of(func);
    Py_XINCREF(boot->thread_obj);
    PyObject* new_args = PyTuple_New(PyTuple_GET_SIZE(args));
    if (new_args == nullptr) {
        Py_DECREF(reinterpret_cast<PyObject*>(boot));
        return nullptr;
    }
    PyTuple_SET_ITEM(new_args, 0, reinterpret_cast<PyObject*>(boot));
    for (Py_ssize_t i = 1; i < PyTuple_GET_SIZE(args); ++i) {
        PyObject* a = PyTuple_GET_ITEM(args, i);
        Py_INCREF(a);
        PyTuple_SET_ITEM(new_args, i, a);
    }
    PyObject* result = PyObject_Call(orig, new_args, kwargs);
    Py_DECREF(new_args);
    return result;
}

template <int I>
PyObject* wrapper(PyObject*, PyObject* args, PyObject* kwargs);

#define FTRACE_START_DEF(name, i)                                                            \
    {name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(wrapper<i>)),           \
     METH_VARARGS | METH_KEYWORDS, "_thread." name " (traced by ftrace)"}
PyMethodDef g_defs[] = {
    FTRACE_START_DEF("start_new_thread", 0),
    FTRACE_START_DEF("start_joinable_thread", 1),
    FTRACE_START_DEF("start_new_thread", 2),
    FTRACE_START_DEF("start_joinable_thread", 3),
};
#undef FTRACE_START_DEF

// threading's own references first: Thread.start() calls them, not the _thread attributes.
Slot g_slots[] = {
    {"threading", "_start_new_thread", &g_defs[0], nullptr, nullptr, nullptr},         // 3.8-3.12
    {"threading", "_start_joinable_thread", &g_defs[1], nullptr, nullptr, nullptr},    // 3.13+
    {"_thread", "start_new_thread", &g_defs[2], nullptr, nullptr, nullptr},
    {"_thread", "start_joinable_thread", &g_defs[3], nullptr, nullptr, nullptr},       // 3.13+
};

template <int I>
PyObject* wrapper(PyObject*, PyObject* args, PyObject* kwargs) {
    return start_via(g_slots[I].target, args, kwargs);
}

}  // namespace

void install() {
    ErrorGuard guard;
    if (g_boot_type == nullptr) g_boot_type = make_type(&boot_spec);
    if (g_boot_type == nullptr) return;
    for (Slot& s : g_slots) {
        PyObject* dict = module_dict(s.module);
        if (s.wrapper == nullptr) {
            PyObject* cur = dict != nullptr ? PyDict_GetItemString(dict, s.attr) : nullptr;
            if (cur == nullptr) continue;  // not in this version
            s.wrapper = make_stand_in(s.def, cur, "_thread");
        }
        swap_in(dict, s.attr, s.wrapper, &s.orig);
        if (s.orig != nullptr && s.orig != s.target) {
            Py_INCREF(s.orig);
            s.target = s.orig;
        }
    }
}

void uninstall() {
    ErrorGuard guard;
    for (Slot& s : g_slots) swap_out(module_dict(s.module), s.attr, s.wrapper, &s.orig);
}

}  // namespace ftrace::record::thread_start_hook
