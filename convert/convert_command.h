// `ftrace convert [-o OUT] DIR [DIR...]`: trace directories -> one profile file.
#pragma once
#include <ostream>
#include <string>
#include <vector>

namespace ftrace::convert {

struct ConvertArgs {
    std::vector<std::string> dirs;
    std::string output;   // empty: default_output_path(dirs[0])
    int gzip_level = 4;  // zlib level: 4 is ~2.5x faster than 6 for ~4% more bytes
    bool quiet = false;   // no summary lines
};

// "X.dir" -> "X.json.gz", anything else -> "DIR.json.gz" (next to DIR, trailing '/' ignored).
std::string default_output_path(const std::string& dir);

// Exit code: 0 written (even with warnings), 1 nothing readable or cannot write.
int run_convert(const ConvertArgs& args, std::ostream& out, std::ostream& err);

}  // namespace ftrace::convert
