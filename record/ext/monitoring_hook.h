// sys.monitoring (PEP 669, 3.12+) as the event source: PY_START/PY_RESUME (call),
// PY_RETURN/PY_YIELD/PY_UNWIND (return), PY_THROW (call: a frame resumed by throw()), and in
// full mode CALL/C_RETURN/C_RAISE for calls of C functions; RAISE for exception markers (cold).
// Interpreter-wide; threads are found through t_recorder.
#pragma once
#include <string>

namespace ftrace::record::monitoring_hook {

// The tool ids ftrace tries, first free one wins (never one another tool holds). We start
// before the program, so whatever id we hold, the program can no longer take: first the ids
// no tool is assigned (4, 3), then OPTIMIZER, PROFILER, COVERAGE, DEBUGGER, so that the
// program's cProfile (PROFILER_ID, 3.12+), coverage and debuggers still get theirs. 6 and 7
// are sys.setprofile's and sys.settrace's; being below them also means our callbacks run
// before a profile function's for the same event.
inline constexpr int kToolIdOrder[] = {4, 3, 5, 2, 1, 0};

bool available();            // 3.12+
bool preferred_for_full();   // measured faster than setprofile for full mode here
// Claims a tool id and enables the events. False with `error` set when no tool id is free.
bool install(bool python_only, std::string& error);
void uninstall();

}  // namespace ftrace::record::monitoring_hook
