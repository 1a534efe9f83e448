// sys.monitoring (PEP 669, 3.12+) as the event source: PY_START/PY_RESUME (call),
// PY_RETURN/PY_YIELD/PY_UNWIND (return), PY_THROW (call: a frame resumed by throw()), and in
// full mode CALL/C_RETURN/C_RAISE for calls of C functions; RAISE for exception markers (cold).
// Interpreter-wide; threads are found
// through t_recorder. Uses the first free tool id (never one another tool holds).
#pragma once
#include <string>

namespace ftrace::record::monitoring_hook {

bool available();            // 3.12+
bool preferred_for_full();   // measured faster than setprofile for full mode here
// Claims a tool id and enables the events. False with `error` set when no tool id is free.
bool install(bool python_only, std::string& error);
void uninstall();

}  // namespace ftrace::record::monitoring_hook
