// The frame-evaluation hook's version-specific parts (PEP 523), in one place:
//
//   3.8        PyObject* (*)(PyFrameObject*, int)                  interp->eval_frame (private)
//   3.9, 3.10  PyObject* (*)(PyThreadState*, PyFrameObject*, int)  frame->f_code
//   3.11       PyObject* (*)(PyThreadState*, _PyInterpreterFrame*, int)  frame->f_code (5th field)
//   3.12       same signature                                       frame->f_code (1st field)
//   3.13       same signature                                       frame->f_executable (1st
//                                                                   field; a code object or None)
//
// _PyInterpreterFrame is private (internal/pycore_frame.h, which does not compile as C++), so
// its leading fields are mirrored here; eval_frame_layout_check.c includes the real header with
// Py_BUILD_CORE and checks these offsets at compile time for the interpreter being built for.
// 3.8 has no public setter for the hook: python-only mode falls back to PyEval_SetProfile there.
#pragma once
#include <cstddef>

#include "compat.h"

namespace ftrace::record::eval_compat {

// 3.13's CALL_ALLOC_AND_ENTER_INIT runs a class's __init__ without the frame hook (measured on
// 3.13.0: those calls would go missing), so --python-only uses sys.monitoring there.
inline constexpr bool kMissesInitCalls = PY_VERSION_HEX >= 0x030D0000;

#if PY_VERSION_HEX >= 0x03090000
inline constexpr bool kAvailable = true;

#if PY_VERSION_HEX >= 0x030B0000
using Frame = struct _PyInterpreterFrame;
#if PY_VERSION_HEX >= 0x030C0000
inline constexpr size_t kCodeOffset = 0;  // f_code (3.12), f_executable (3.13)
inline constexpr size_t kOwnerOffset = 8 * sizeof(void*) + 6;  // after stacktop, return_offset
#else
inline constexpr size_t kCodeOffset = 4 * sizeof(void*);  // after f_func, f_globals, f_builtins, f_locals
inline constexpr size_t kOwnerOffset = 8 * sizeof(void*) + 5;  // after stacktop, is_entry
#endif
inline constexpr char kOwnedByGenerator = 1;  // FRAME_OWNED_BY_GENERATOR
inline constexpr int kGeneratorFlags = CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR;

// The frame's code object, or null when the frame runs something else (3.13: None).
inline PyCodeObject* frame_code(Frame* f) {
    PyObject* code = *reinterpret_cast<PyObject**>(reinterpret_cast<char*>(f) + kCodeOffset);
    return PyCode_Check(code) ? reinterpret_cast<PyCodeObject*>(code) : nullptr;
}
// 3.11+ evaluates a generator function's frame once to create the generator
// (RETURN_GENERATOR) before any resume: that evaluation is not a call of the function (the
// profile function and sys.monitoring do not report it either). Resumes run on a frame the
// generator owns.
inline bool is_generator_creation(Frame* f, PyCodeObject* code) {
    return (code->co_flags & kGeneratorFlags) != 0 &&
           *(reinterpret_cast<const char*>(f) + kOwnerOffset) != kOwnedByGenerator;
}
// The frame object, for naming the function (only needed where co_qualname is missing).
inline PyFrameObject* frame_object(Frame*) { return nullptr; }
#else
using Frame = PyFrameObject;
inline PyCodeObject* frame_code(Frame* f) { return f->f_code; }
// Before 3.11 creating a generator evaluates no frame.
inline bool is_generator_creation(Frame*, PyCodeObject*) { return false; }
inline PyFrameObject* frame_object(Frame* f) { return f; }
#endif

using EvalFunc = PyObject* (*)(PyThreadState*, Frame*, int);

inline EvalFunc get_eval(PyInterpreterState* interp) {
    return reinterpret_cast<EvalFunc>(_PyInterpreterState_GetEvalFrameFunc(interp));
}
inline void set_eval(PyInterpreterState* interp, EvalFunc f) {
    _PyInterpreterState_SetEvalFrameFunc(interp, reinterpret_cast<_PyFrameEvalFunction>(f));
}
inline EvalFunc default_eval() { return &_PyEval_EvalFrameDefault; }

#else
inline constexpr bool kAvailable = false;
#endif

}  // namespace ftrace::record::eval_compat
