// Markers that explain where time went besides calls: print, logging, import, GC, thread
// start/end, exceptions, and the user's own (ftrace.marker / ftrace.region).
//
// Hooks are C objects swapped into the interpreter at start and swapped back at stop:
//   print    builtins.print -> a C function of the same name (module builtins) that calls the
//            original with file= a tap forwarding every write to the real file, so the text
//            is exactly what was written (objects' __str__ runs once, as without ftrace).
//   logging  logging.Logger.callHandlers -> a C descriptor: every record of every Logger
//            (created before or after, propagate or not) that reaches its handlers.
//   import   importlib._bootstrap._find_and_load -> a C wrapper: CPython's import statement
//            calls it only for modules not yet in sys.modules, i.e. real loads.
//   GC       a C callback in gc.callbacks.
//   threads  see thread_start_hook.h (ThreadStart/ThreadEnd are written by the session).
// The print and import wrappers are C functions called from C, so they add no frame.
// A marker goes to the calling thread's recorder; threads that are not traced drop it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "chunk.h"
#include "compat.h"

namespace ftrace::record {

class ThreadRecorder;

namespace events {

// Installs every hook (idempotent). Never raises; a hook that cannot be installed is skipped.
void install();
// Puts the originals back where ours are still in place.
void uninstall();

// Appends a marker to the calling thread's recorder (if traced).
bool emit(format::Marker m);

// Exception markers (one per exception, see event_hooks.cpp). 3.8-3.11: a frame left by an
// exception (profile or frame hook, cold) and a C function called from Python raising
// (PyTrace_C_EXCEPTION): the exception itself is reported by the frame it enters next.
void note_unwind(ThreadRecorder* rec, uint64_t tick);
void note_c_raise(ThreadRecorder* rec, uint64_t tick);
// 3.12+: `exc` raised into `code`'s frame (sys.monitoring RAISE: the monitoring hook's own,
// or ours when another mechanism records the calls).
void note_raise(ThreadRecorder* rec, uint64_t tick, PyObject* code, PyObject* exc);

format::MarkerField text_field(const char* key, std::string value);
format::MarkerField number_field(const char* key, double value);

}  // namespace events
}  // namespace ftrace::record
