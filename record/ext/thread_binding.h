// Which recorder belongs to the calling thread, for the hooks that are interpreter-wide (the
// frame-evaluation hook, sys.monitoring) and so cannot carry a per-thread object the way a
// PyEval_SetProfile hook does. A plain pointer with initial-exec TLS: one `mov %fs:` per read,
// no __tls_get_addr call, no guard.
//
// Lifetime: the session keeps every recorder that was ever bound alive until the process ends
// (see Session::retire_recorders), so a stale binding never points to freed memory; a recorder
// that stopped recording has recording() == false.
#pragma once

namespace ftrace::record {

class ThreadRecorder;

inline thread_local ThreadRecorder* t_recorder __attribute__((tls_model("initial-exec"))) = nullptr;

}  // namespace ftrace::record
