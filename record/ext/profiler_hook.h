// The PyEval_SetProfile callback (the hot path) and its per-thread handle.
//
// Each traced thread has its own profile object, a tiny "ThreadHandle" holding the thread's
// recorder, so the hook finds its buffer in the `obj` argument: no TLS lookup, no map.
// New threads get it from their start function's wrapper (thread_start_hook.h) before their
// first frame.
#pragma once
#include <memory>

#include "compat.h"
#include "thread_recorder.h"

namespace ftrace::record::hook {

int profile_hook(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg);
int noop_hook(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg);
int bind_hook(PyObject* obj, PyFrameObject* frame, int what, PyObject* arg);

// Binds the C hook to `rec` on the calling thread. False on failure (no memory).
bool install_on_current_thread(const std::shared_ptr<ThreadRecorder>& rec);
// Binds the C hook to `rec` on another thread `ts` (blocked on the GIL). False on failure.
bool install_on_thread(PyThreadState* ts, const std::shared_ptr<ThreadRecorder>& rec);
// Removes the C hook from the calling thread if it is installed there.
void uninstall_current_thread();
// The calling thread's recorder if the C hook is installed on it, else null.
ThreadRecorder* current_recorder();
// The same, safe to call where the thread may have no thread state (allocator hooks).
ThreadRecorder* current_recorder_unchecked();
// The calling thread's recorder, or null; async-signal-safe (plain reads of this thread's
// TLS and thread state, which the interrupted thread is not changing meanwhile).
ThreadRecorder* signal_thread_recorder();

}  // namespace ftrace::record::hook
