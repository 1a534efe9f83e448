// `ftrace report DIR`: the top functions of a trace in the terminal (calls, total, self),
// exact from the events, for the whole trace or per process / per thread; `--json` for scripts.
#pragma once
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "selection.h"

namespace ftrace::convert {

enum class ReportSort { Total, Self, Calls };
enum class ReportGroup { Trace, Process, Thread };

struct ReportArgs {
    std::vector<std::string> dirs;
    ReportSort sort = ReportSort::Total;  // pstats users sort by cumulative time first
    size_t limit = 20;                    // 0 = every function
    ReportGroup group = ReportGroup::Trace;
    Selection select;  // which processes and threads, as `ftrace convert` selects them
    bool json = false;
};

// Exit code: 0; 1 when nothing is readable or the filters match no thread.
int run_report(const ReportArgs& args, std::ostream& out, std::ostream& err);

// "12.345 ms", "850 ns", "1.234 s": three decimals in the largest unit that keeps one digit
// before the point.
std::string format_duration(int64_t ns);

}  // namespace ftrace::convert
