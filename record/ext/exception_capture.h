// Exception markers: the version-specific half (how an exception is seen) and the shared half
// (event_hooks.cpp: one marker per exception). Which capture file is built is chosen per
// interpreter in record/CMakeLists.txt:
//   exception_capture_trace.cpp       3.8-3.11  a one-shot C trace function (PyTrace_EXCEPTION);
//                                               with --exceptions all, one per thread for the run
//   exception_capture_monitoring.cpp  3.12+     sys.monitoring RAISE
#pragma once
#include <cstdint>

#include "compat.h"

namespace ftrace::record {

class ThreadRecorder;

namespace events {

// ftrace record --exceptions: which exceptions get markers. Set by Session::start.
enum class ExceptionMode : uint8_t {
    Auto,  // those the interpreter reports at no cost per call (3.12+: all; 3.8-3.11: README)
    All,   // every one; on 3.8-3.11 through a trace function on every thread (costs time)
    None,  // no exception markers
};
inline ExceptionMode g_exception_mode = ExceptionMode::Auto;

// Shared (event_hooks.cpp): `value` (with its `type` and current traceback `tb`) seen in the
// frame of `func_id`; records a marker unless it is the same exception seen before.
void record_exception(ThreadRecorder* rec, PyObject* type, PyObject* value, PyObject* tb,
                      uint64_t tick, uint32_t func_id);

// Per version (the capture files): installed and removed with the other event hooks.
void install_exception_hooks();
void uninstall_exception_hooks();
// A thread `ts` (the calling one, or one blocked on the GIL) starts being traced / the calling
// thread stops: adds or removes what that thread needs (--exceptions all on 3.8-3.11: the
// whole-run trace function).
void hook_thread_exceptions(PyThreadState* ts);
void unhook_current_thread_exceptions();

}  // namespace events
}  // namespace ftrace::record
