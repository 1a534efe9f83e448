/* Compile-time check of the _PyInterpreterFrame layout mirrored in eval_frame_compat.h
 * (3.11+) and of the 3.11 frame object layout read by compat.h frame_code(): the real structs
 * come from CPython's internal header, which only compiles as C. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX >= 0x030B0000
#define Py_BUILD_CORE 1
#include <stddef.h>
#include <internal/pycore_frame.h>
#if PY_VERSION_HEX >= 0x030D0000
_Static_assert(offsetof(struct _PyInterpreterFrame, f_executable) == 0,
               "eval_frame_compat.h: f_executable moved");
#elif PY_VERSION_HEX >= 0x030C0000
_Static_assert(offsetof(struct _PyInterpreterFrame, f_code) == 0, "eval_frame_compat.h: f_code moved");
#else
_Static_assert(offsetof(struct _PyInterpreterFrame, f_code) == 4 * sizeof(void*),
               "eval_frame_compat.h: f_code moved");
#endif
#if PY_VERSION_HEX >= 0x030C0000
_Static_assert(offsetof(struct _PyInterpreterFrame, owner) == 8 * sizeof(void*) + 6,
               "eval_frame_compat.h: owner moved");
#else
_Static_assert(offsetof(struct _PyInterpreterFrame, owner) == 8 * sizeof(void*) + 5,
               "eval_frame_compat.h: owner moved");
#endif
_Static_assert(sizeof(((struct _PyInterpreterFrame*)0)->owner) == 1, "owner is not a char");
#if PY_VERSION_HEX < 0x030C0000
/* compat.h frame_code(): frame->f_frame->f_code read in place on 3.11. */
_Static_assert(offsetof(struct _frame, f_frame) == 3 * sizeof(void*), "compat.h: f_frame moved");
_Static_assert(offsetof(struct _PyInterpreterFrame, f_code) == 4 * sizeof(void*),
               "compat.h: f_code moved");
/* compat.h disable_line_events(): frame->f_trace_lines written in place on 3.11. */
_Static_assert(offsetof(struct _frame, f_trace_lines) == 5 * sizeof(void*) + sizeof(int),
               "compat.h: f_trace_lines moved");
_Static_assert(sizeof(((struct _frame*)0)->f_trace_lines) == 1, "f_trace_lines is not a char");
#endif
_Static_assert(FRAME_OWNED_BY_GENERATOR == 1, "eval_frame_compat.h: FRAME_OWNED_BY_GENERATOR");
#endif

/* Not empty for ISO C, and referenced by nothing. */
int ftrace_eval_frame_layout_checked = 1;
