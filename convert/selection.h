// Which processes and threads `convert` and `report` keep (--pid/--process/--tid/--thread).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ftrace::convert {

// Within a kind any match keeps; an empty kind keeps all.
struct Selection {
    std::vector<int64_t> pids;
    std::vector<std::string> process_names;  // substrings of the command line or executable
    std::vector<int64_t> tids;
    std::vector<std::string> thread_names;   // substrings of the thread name
};

}  // namespace ftrace::convert
