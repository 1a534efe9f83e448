// Exception markers: the version-specific half (how an exception is seen) and the shared half
// (event_hooks.cpp: one marker per exception). Which capture file is built is chosen per
// interpreter in record/CMakeLists.txt:
//   exception_capture_trace.cpp       3.8-3.11  a one-shot C trace function (PyTrace_EXCEPTION)
//   exception_capture_monitoring.cpp  3.12+     sys.monitoring RAISE
#pragma once
#include <cstdint>

#include "compat.h"

namespace ftrace::record {

class ThreadRecorder;

namespace events {

// Shared (event_hooks.cpp): `value` (with its `type` and current traceback `tb`) seen in the
// frame of `func_id`; records a marker unless it is the same exception seen before.
void record_exception(ThreadRecorder* rec, PyObject* type, PyObject* value, PyObject* tb,
                      uint64_t tick, uint32_t func_id);

// Per version (the capture files): installed and removed with the other event hooks.
void install_exception_hooks();
void uninstall_exception_hooks();

}  // namespace events
}  // namespace ftrace::record
