// `ftrace info DIR`: what a trace directory holds, without converting: format version, the
// process tree (by parent_key), each process's argv / Python / host and its threads (events,
// duration, bytes), totals (bytes per event, time span) and every damage found. Plain text,
// or JSON for scripts.
#pragma once
#include <ostream>
#include <string>

namespace ftrace::convert {

// Exit code: 0, or 1 when nothing is readable.
int run_info(const std::string& dir, std::ostream& out, std::ostream& err, bool json = false);

}  // namespace ftrace::convert
