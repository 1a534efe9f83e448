// `ftrace record`: create the trace directory, run the command with the bootstrap on
// PYTHONPATH, pass signals through, report where the trace is, exit like the command.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ftrace::launcher {

struct RecordOptions {
    std::string out_dir;               // empty: ./ftrace-YYYYMMDD-HHMMSS.dir
    bool no_children = false;          // trace only the first Python process
    std::vector<std::string> command;  // COMMAND ARGS...
    bool python_only = false;          // Python frames only (FTRACE_MODE=python-only)
    bool memory = false;               // --memory
    uint64_t memory_threshold = 0;     // --memory-threshold (0: the recorder's default)
    std::string exceptions = "auto";   // --exceptions auto|all|none (FTRACE_EXCEPTIONS)
};

// "1048576", "512K", "1M", "2G", "1MiB" (binary units) -> bytes; false if not a size >= 1.
bool parse_byte_size(const std::string& text, uint64_t& out);

// Returns the exit code for the launcher (or re-raises the command's fatal signal).
int run_record(const RecordOptions& opts);

// Replaces this process by `ftrace-convert SUBCOMMAND ARGS...` from next to this binary.
int exec_converter(const std::string& subcommand, const std::vector<std::string>& args);

}  // namespace ftrace::launcher
