// --python-only through the frame-evaluation hook (PEP 523): every Python frame the
// interpreter evaluates, including each generator/coroutine resume, passes through
// eval_hook(), which records a call, runs the frame with the previous evaluation function and
// records a return when it leaves (return, yield, await-suspend or exception alike).
//
// Cheaper than any profile function: the interpreter keeps its specialised fast path (it only
// stops inlining Python-to-Python calls). C calls are not seen. One hook per interpreter: a
// hook installed before ours (a debugger, a JIT) is called by ours, never replaced; if one is
// installed over ours later, ours stays in place (it only forwards once recording stops).
#pragma once

namespace ftrace::record::eval_hook {

// False on interpreters without the hook API (3.8).
bool available();
// Installs the hook for the whole interpreter (idempotent). Threads are recorded once bound
// with t_recorder (thread_binding.h).
void install();
// Restores the previous evaluation function if ours is still the installed one.
void uninstall();

}  // namespace ftrace::record::eval_hook
