// Turns a trace into the profile, in two passes so memory stays bounded:
//   pass 1 (trace_loader, keep_events = false): metadata, function definitions, markers,
//     clock sync points, spans and counts of every thread file;
//   plan: clocks (one fit per trace directory and clock kind; directories are aligned on
//     the wall clock, so traces from several hosts share one timeline), time 0, the threads
//     kept by the filters, meta;
//   pass 2 (write_profile): worker threads re-read thread files chunk by chunk and replay
//     them straight into compact sample columns, then write the thread's JSON as one segment
//     of a ParallelOutput (compressed on all cores, written in order).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clock_fit.h"
#include "json_writer.h"
#include "marker_schemas.h"
#include "profile_model.h"
#include "stack_replay.h"
#include "trace_loader.h"
#include "selection.h"

namespace ftrace::convert {

class Progress;

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
    uint64_t json_bytes = 0;
};

struct ConvertOptions {
    ReplayFilter filter;  // window relative to the trace's start, min duration, max depth
    Selection select;
    int jobs = 0;                   // worker threads; 0 = one per core
    Progress* progress = nullptr;   // optional
};

// The Firefox Profiler gets slow beyond about this much JSON.
inline constexpr uint64_t kComfortableJsonBytes = 500'000'000;

struct ThreadPlan {
    LoadedThread* t = nullptr;
    int64_t begin_ns = 0, end_ns = 0;  // relative, clipped to the window
    int64_t last_ns = 0;               // relative time of its last event or marker
};

struct ProcessPlan {
    LoadedProcess* p = nullptr;
    TimeMap time;
    int64_t begin_ns = INT64_MAX, end_ns = INT64_MIN;
    std::string pid;
    std::string name;
    std::vector<ThreadPlan> threads;
};

struct ConvertPlan {
    std::map<std::pair<std::string, format::ClockKind>, ClockFit> fits;  // (trace dir, clock)
    std::vector<ProcessPlan> processes;  // only those with kept threads, in output order
    ProfileMeta meta;
    SchemaRegistry schemas;
    ReplayFilter filter;
    uint64_t kept_events = 0;       // events of kept threads (what pass 2 reads)
    uint64_t estimated_json_bytes = 0;  // for the window; an upper bound with other filters
    size_t hosts = 0;
    size_t thread_count() const;
};

// One least-squares tick->ns fit per clock kind over every sync point of that kind.
// Notes about guesses (too few points) go to `notes`. (`info` uses it on one directory.)
std::map<format::ClockKind, ClockFit> fit_trace_clocks(const LoadedTrace& trace,
                                                       std::vector<std::string>* notes);
format::ClockKind clock_of(const LoadedProcess& p);

// "python3 app.py --flag" from argv (argv[0] shortened to its base name, long lines cut).
std::string command_line(const std::vector<std::string>& argv, size_t max_len = 120);

// Plans the conversion of `trace` (loaded without events). Problems go to `warnings`.
ConvertPlan plan_conversion(LoadedTrace& trace, const ConvertOptions& options,
                            std::vector<std::string>& warnings);

struct OutputFormat {
    bool gzip = false;
    int level = 4;
};

// Pass 2: writes the planned profile to `dest`. On a write failure sets `error`.
ConvertStats write_profile(ConvertPlan& plan, Sink& dest, const OutputFormat& format,
                           const ConvertOptions& options, std::vector<std::string>& warnings,
                           std::string* error = nullptr);

// Plan + write as plain JSON into `w`'s sink (tests, small tools).
ConvertStats write_profile(LoadedTrace& trace, JsonWriter& w, std::vector<std::string>& warnings,
                           const ConvertOptions& options = {});

}  // namespace ftrace::convert
