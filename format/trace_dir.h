// Names inside a trace directory, shared by the recorder (which creates them) and the
// converter (which lists them):
//
//   TRACE_DIR/FTRACE-TRACE                       marker: "this is an ftrace trace directory"
//   TRACE_DIR/p<pid>-<start ns>/                 one per traced process (pid reuse-safe)
//   TRACE_DIR/p<pid>-<start ns>/t<index>-<tid>.ftrace   one per traced thread
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ftrace::format {

std::string process_dir_name(int64_t pid, int64_t start_realtime_ns);
std::string thread_file_name(uint32_t index, int64_t tid);
std::string dir_marker_text();  // contents of FTRACE-TRACE

struct ListedProcess {
    std::string dir;                        // full path
    std::vector<std::string> thread_files;  // full paths, sorted by thread index
};

// Lists process folders and thread files (sorted, deterministic). Anything unexpected
// (unreadable folder, stray file) is appended to `problems` as a readable sentence.
std::vector<ListedProcess> list_trace_dir(const std::string& path, std::vector<std::string>& problems);

}  // namespace ftrace::format
