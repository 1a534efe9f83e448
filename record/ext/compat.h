// Everything that differs between CPython versions lives here (and in compat_qualname.h for
// qualified names), so the rest of the recorder reads as version-independent code.
// Supported: 3.8 .. 3.13, each built and tested end to end in CI (see README).
//
//  - code-object extra slot: _PyCode_{Get,Set}Extra (3.8-3.11), PyUnstable_* (3.12+)
//  - frame -> code object: frame->f_code (3.8-3.10), frame->f_frame->f_code in place (3.11,
//    layout checked in eval_frame_layout_check.c), PyFrame_GetCode (3.12+, new reference)
//  - code-object extra slot read in place on the hot path (checked at run time, see below)
//  - frame -> parent frame: frame->f_back (3.8), PyFrame_GetBack (3.9+, new reference)
//  - clearing the profile function of another thread: _PyEval_SetProfile(tstate, ...) (3.9+;
//    public header in 3.12, internal-but-exported in 3.13); 3.8 reaches the current thread only
//  - setting it on another thread (threads already running at start): _PyEval_SetProfile
//    (3.9+; 3.12+'s PyEval_SetProfileAllThreads gives every thread the same object, and our
//    hook needs one handle per thread), the thread state's fields directly on 3.8
//  - another thread's innermost frame: PyThreadState_GetFrame (3.9+), tstate->frame (3.8)
//  - saving the pending exception: PyErr_Fetch/Restore (< 3.12), PyErr_{Get,Set}RaisedException
//  - profile hook semantics: 3.8-3.11 call the hook from the eval loop; 3.12+ emulate it on
//    sys.monitoring (same events: generator resume = call, yield/unwind = return; C calls of
//    method descriptors arrive as freshly bound builtin methods, see func_registry.cpp)
//  - the calling thread's state without a fatal error when there is none (allocator hooks):
//    PyThreadState_GetUnchecked (3.13+), _PyThreadState_UncheckedGet before
//  - a type's own dict: tp_dict (3.8-3.11); 3.12+ keeps static builtin types' dicts in the
//    interpreter (tp_dict is NULL there), PyType_GetDict reads both
//  - exception markers: exception_capture_trace.cpp (3.8-3.11, a one-shot C trace function,
//    or with --exceptions all one per thread for the whole run: set_trace_of, 3.9+ for threads
//    other than the calling one) or exception_capture_monitoring.cpp (3.12+, sys.monitoring RAISE),
//    see exception_capture.h
//  - mechanisms that exist only from some version on are per-version files, chosen per build in
//    record/CMakeLists.txt: eval_frame_hook.cpp (3.9+) or eval_frame_hook_unavailable.cpp,
//    monitoring_hook.cpp (3.12+) or monitoring_hook_unavailable.cpp; the frame hook's
//    per-version signatures and frame layouts are in eval_frame_compat.h
#pragma once
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#if PY_VERSION_HEX >= 0x030D0000
// 3.13 moved this (unchanged, still exported) to the internal headers, which need
// Py_BUILD_CORE. It is the only way to clear the profile function of one other thread
// without touching the others (PyEval_SetProfileAllThreads would also remove other tools').
extern "C" int _PyEval_SetProfile(PyThreadState* tstate, Py_tracefunc func, PyObject* arg);
#endif

namespace ftrace::record::compat {

inline Py_ssize_t request_code_extra_index() {
#if PY_VERSION_HEX >= 0x030C0000
    return PyUnstable_Eval_RequestCodeExtraIndex(nullptr);
#else
    return _PyEval_RequestCodeExtraIndex(nullptr);
#endif
}

inline int code_get_extra(PyObject* code, Py_ssize_t index, void** extra) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyUnstable_Code_GetExtra(code, index, extra);
#else
    return _PyCode_GetExtra(code, index, extra);
#endif
}

inline int code_set_extra(PyObject* code, Py_ssize_t index, void* extra) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyUnstable_Code_SetExtra(code, index, extra);
#else
    return _PyCode_SetExtra(code, index, extra);
#endif
}

// The code object's extra slot `index`, read in place: the hot path reads it per call, and
// _PyCode_GetExtra is an exported call with type and bounds checks. The holder's layout
// {Py_ssize_t ce_size; void* ce_extras[]} is private to codeobject.c, unchanged from 3.7 to
// 3.13 (not in any installed header, so not checkable at compile time):
// FuncRegistry::init() checks it against code_get_extra() once and falls back if it differs.
struct CodeExtraHolder {
    Py_ssize_t ce_size;
    void* ce_extras[1];
};
inline void* code_extra_inline(PyCodeObject* code, Py_ssize_t index) {
    const auto* h = static_cast<const CodeExtraHolder*>(code->co_extra);
    return h != nullptr && index < h->ce_size ? h->ce_extras[index] : nullptr;
}

// Borrowed: the frame keeps its code object alive for as long as the caller uses it.
// The profile hook reads this per call: 3.8-3.11 read the field in place rather than pay for
// PyFrame_GetCode (an exported call plus a reference count round trip).
inline constexpr size_t kFrameObjectFFrameOffset = 3 * sizeof(void*);  // 3.11: after f_back
inline constexpr size_t kInterpFrameCodeOffset = 4 * sizeof(void*);    // 3.11: f_code
inline PyCodeObject* frame_code(PyFrameObject* frame) {
#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030C0000
    // frame->f_frame->f_code: both structs are internal (pycore_frame.h, C only);
    // eval_frame_layout_check.c checks these offsets at compile time.
    const char* iframe =
        *reinterpret_cast<char* const*>(reinterpret_cast<const char*>(frame) + kFrameObjectFFrameOffset);
    return *reinterpret_cast<PyCodeObject* const*>(iframe + kInterpFrameCodeOffset);
#elif PY_VERSION_HEX >= 0x030B0000
    PyCodeObject* code = PyFrame_GetCode(frame);
    Py_DECREF(code);
    return code;
#else
    return frame->f_code;
#endif
}

// New reference (or null at the outermost frame).
inline PyFrameObject* frame_back(PyFrameObject* frame) {
#if PY_VERSION_HEX >= 0x03090000
    return PyFrame_GetBack(frame);
#else
    Py_XINCREF(frame->f_back);
    return frame->f_back;
#endif
}

// The frame the current thread is executing (new reference, or null).
inline PyFrameObject* current_frame() {
    PyFrameObject* f = PyEval_GetFrame();  // borrowed
    Py_XINCREF(f);
    return f;
}

// Saves the pending exception (if any) and restores it on scope exit, so the recorder never
// changes the traced program's error state. 3.12 replaced the (type, value, traceback)
// triple by one exception object.
class ErrorGuard {
public:
#if PY_VERSION_HEX >= 0x030C0000
    ErrorGuard() : exc_(PyErr_GetRaisedException()) {}
    ~ErrorGuard() {
        PyErr_Clear();
        PyErr_SetRaisedException(exc_);
    }
#else
    ErrorGuard() { PyErr_Fetch(&type_, &value_, &tb_); }
    ~ErrorGuard() {
        PyErr_Clear();
        PyErr_Restore(type_, value_, tb_);
    }
#endif
    ErrorGuard(const ErrorGuard&) = delete;
    ErrorGuard& operator=(const ErrorGuard&) = delete;

private:
#if PY_VERSION_HEX >= 0x030C0000
    PyObject* exc_ = nullptr;
#else
    PyObject* type_ = nullptr;
    PyObject* value_ = nullptr;
    PyObject* tb_ = nullptr;
#endif
};

// What _thread does with an exception that ends a thread's function `func` (the current
// exception): SystemExit is silent, anything else goes to sys.unraisablehook naming `func`.
inline void report_thread_exception(PyObject* func) {
    if (PyErr_ExceptionMatches(PyExc_SystemExit)) {
        PyErr_Clear();
        return;
    }
#if PY_VERSION_HEX >= 0x030D0000
    PyErr_FormatUnraisable("Exception ignored in thread started by %R", func);
#else
    _PyErr_WriteUnraisableMsg("in thread started by", func);
#endif
}

inline Py_tracefunc profile_func_of(PyThreadState* tstate) { return tstate->c_profilefunc; }

// Calls `f(ts)` for every thread state of the calling thread's interpreter (GIL held).
template <typename F>
inline void for_each_thread(F&& f) {
    for (PyThreadState* ts = PyInterpreterState_ThreadHead(PyThreadState_Get()->interp);
         ts != nullptr; ts = PyThreadState_Next(ts)) {
        f(ts);
    }
}

// Removes `func` as profile function from every thread of the interpreter that has it
// (other threads are blocked on the GIL, which the caller holds). On 3.8 only the current
// thread can be reached; the others ignore events once their recorder is stopped.
inline void clear_profile_everywhere(Py_tracefunc func) {
#if PY_VERSION_HEX >= 0x03090000
    for_each_thread([func](PyThreadState* ts) {
        if (ts->c_profilefunc == func && _PyEval_SetProfile(ts, nullptr, nullptr) < 0) PyErr_Clear();
    });
#else
    if (PyThreadState_Get()->c_profilefunc == func) PyEval_SetProfile(nullptr, nullptr);
#endif
}

// The innermost frame `ts` executes (new reference, or null). GIL held.
inline PyFrameObject* thread_frame(PyThreadState* ts) {
#if PY_VERSION_HEX >= 0x03090000
    return PyThreadState_GetFrame(ts);
#else
    Py_XINCREF(ts->frame);
    return ts->frame;
#endif
}

// Installs `func`/`obj` as the profile function of `ts` (another thread, blocked on the GIL
// the caller holds). False on failure (error cleared).
inline bool set_profile_of(PyThreadState* ts, Py_tracefunc func, PyObject* obj) {
#if PY_VERSION_HEX >= 0x03090000
    if (_PyEval_SetProfile(ts, func, obj) < 0) {
        PyErr_Clear();
        return false;
    }
    return true;
#else
    PyObject* old = ts->c_profileobj;
    Py_XINCREF(obj);
    ts->c_profilefunc = func;
    ts->c_profileobj = obj;
    ts->use_tracing = (func != nullptr) || (ts->c_tracefunc != nullptr);
    Py_XDECREF(old);
    return true;
#endif
}

#if PY_VERSION_HEX < 0x030C0000
// --exceptions all (exception_capture_trace.cpp, 3.8-3.11 only): a C trace function on each
// traced thread. Another thread's: _PyEval_SetTrace (3.9+); 3.8 cannot keep its process-wide
// tracing counter right for another thread, so there only the calling thread is reached.
inline bool set_trace_of(PyThreadState* ts, Py_tracefunc func, PyObject* obj) {
#if PY_VERSION_HEX >= 0x03090000
    if (_PyEval_SetTrace(ts, func, obj) < 0) {
        PyErr_Clear();
        return false;
    }
    return true;
#else
    if (ts != PyThreadState_Get()) return false;
    PyEval_SetTrace(func, obj);
    return true;
#endif
}

// Removes `func` as trace function from every thread that has it (3.8: the calling one,
// as set_trace_of reaches no other there).
inline void clear_trace_everywhere(Py_tracefunc func) {
    for_each_thread([func](PyThreadState* ts) {
        if (ts->c_tracefunc == func) set_trace_of(ts, nullptr, nullptr);
    });
}

// Stops LINE events for `frame` (its f_trace_lines): a trace function that wants exceptions
// only is then not called per line. 3.11's frame object is internal (pycore_frame.h, C only):
// its f_trace_lines follows f_lineno, checked in eval_frame_layout_check.c.
inline void disable_line_events(PyFrameObject* frame) {
#if PY_VERSION_HEX >= 0x030B0000
    constexpr size_t kTraceLinesOffset = 5 * sizeof(void*) + sizeof(int);
    reinterpret_cast<char*>(frame)[kTraceLinesOffset] = 0;
#else
    frame->f_trace_lines = 0;
#endif
}
#endif

inline unsigned long thread_ident(PyThreadState* ts) { return ts->thread_id; }

inline PyThreadState* current_tstate_unchecked() {
#if PY_VERSION_HEX >= 0x030D0000
    return PyThreadState_GetUnchecked();
#else
    return _PyThreadState_UncheckedGet();
#endif
}

// The type's own dict (new reference, or null).
inline PyObject* type_own_dict(PyTypeObject* type) {
#if PY_VERSION_HEX >= 0x030C0000
    return PyType_GetDict(type);
#else
    Py_XINCREF(type->tp_dict);
    return type->tp_dict;
#endif
}

}  // namespace ftrace::record::compat
