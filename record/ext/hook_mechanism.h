// How events reach the recorder, chosen once per process at start (Session::start):
//
//   SetProfile      PyEval_SetProfile C hook per thread: Python + C calls (full mode, <= 3.11)
//   EvalFrame       frame-evaluation hook (PEP 523): Python frames only (--python-only, 3.9+)
//   Monitoring      sys.monitoring (3.12+): Python frames, plus C calls in full mode
//   NoopSetProfile  a PyEval_SetProfile hook that does nothing: the benchmark's reference for
//                   what any profile function costs (records no events)
//
// The default is the cheapest correct one for the interpreter and mode (measured by
// tests/bench, see its README); FTRACE_HOOK=setprofile|eval-frame|monitoring|noop-setprofile
// overrides it (for benchmarking and debugging).
#pragma once
#include <string>

namespace ftrace::record {

enum class Mechanism { SetProfile, EvalFrame, Monitoring, NoopSetProfile };

// The mechanism of the running session (read by the hooks' thread setup, not the hot path).
inline Mechanism g_mechanism = Mechanism::SetProfile;
// --python-only: C calls are not recorded (also honoured by the SetProfile hook, the
// python-only fallback where nothing cheaper exists).
inline bool g_python_only = false;

// The mechanism for this interpreter and mode, honouring FTRACE_HOOK. False with `error` set
// when FTRACE_HOOK names something unknown or unavailable here.
bool choose_mechanism(bool python_only, Mechanism& out, std::string& error);
const char* mechanism_name(Mechanism m);
// Threads are found through t_recorder (thread_binding.h) rather than a per-thread hook object.
inline bool binds_by_tls(Mechanism m) {
    return m == Mechanism::EvalFrame || m == Mechanism::Monitoring;
}

}  // namespace ftrace::record
