// `ftrace info DIR`: what a trace directory holds, in plain text, without converting.
#pragma once
#include <ostream>
#include <string>

namespace ftrace::convert {

// Exit code: 0, or 1 when nothing is readable.
int run_info(const std::string& dir, std::ostream& out, std::ostream& err);

}  // namespace ftrace::convert
