// Turns a loaded trace into the profile: fits the clock, orders processes and threads,
// replays every thread into samples, collects markers and the memory counter, and streams
// everything through ProfileWriter. Thread events are released once written.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clock_fit.h"
#include "json_writer.h"
#include "trace_loader.h"

namespace ftrace::convert {

struct ConvertStats {
    size_t processes = 0;
    size_t threads = 0;
    uint64_t events = 0;
    uint64_t samples = 0;
    uint64_t markers = 0;
    uint64_t functions = 0;
    uint64_t stacks = 0;
    uint64_t unknown_function_events = 0;
    uint64_t unmatched_returns = 0;
    uint64_t open_at_end = 0;
    int64_t duration_ns = 0;
};

// One least-squares tick->ns fit per clock kind over every sync point of that kind.
// Notes about guesses (too few points) go to `notes`.
std::map<format::ClockKind, ClockFit> fit_trace_clocks(const LoadedTrace& trace,
                                                       std::vector<std::string>* notes);
format::ClockKind clock_of(const LoadedProcess& p);

// "python3 app.py --flag" from argv (argv[0] shortened to its base name, long lines cut).
std::string command_line(const std::vector<std::string>& argv, size_t max_len = 120);

// Writes the whole profile of `trace` to `w`. Problems go to `warnings` (same form as the
// loader's). `trace`'s thread events are consumed.
ConvertStats write_profile(LoadedTrace& trace, JsonWriter& w, std::vector<std::string>& warnings);

}  // namespace ftrace::convert
