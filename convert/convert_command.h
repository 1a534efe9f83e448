// `ftrace convert [-o OUT] [filters] DIR [DIR...]`: trace directories -> one profile file.
#pragma once
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "selection.h"

namespace ftrace::convert {

struct ConvertArgs {
    std::vector<std::string> dirs;
    std::string output;   // empty: default_output_path(dirs[0])
    int gzip_level = 1;   // libdeflate 1 (fast) .. 12 (small); 1 is about gzip -4's size
    bool quiet = false;   // no summary lines, no progress bar
    int jobs = 0;         // worker threads; 0 = one per core
    // Filters (empty strings: not given). Times are durations like "1.5s", "200ms", "300us";
    // a bare number is milliseconds.
    std::string start, end, min_duration;
    uint32_t max_depth = 0;
    Selection select;
};

// "1.5s" / "200ms" / "300us" / "40ns" / "2" (ms) -> nanoseconds; nullopt if malformed or negative.
std::optional<int64_t> parse_duration_ns(const std::string& text);

// "X.dir" -> "X.json.gz", anything else -> "DIR.json.gz" (next to DIR, trailing '/' ignored).
std::string default_output_path(const std::string& dir);

// Exit code: 0 written (even with warnings), 1 nothing readable or cannot write, 2 bad filters.
int run_convert(const ConvertArgs& args, std::ostream& out, std::ostream& err);

}  // namespace ftrace::convert
