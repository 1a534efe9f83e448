#include "convert_command.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <sstream>

#include "converter.h"
#include "json_writer.h"
#include "output_sink.h"
#include "progress.h"
#include "trace_loader.h"

namespace ftrace::convert {

namespace {

std::string mb(uint64_t bytes) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(1) << static_cast<double>(bytes) / 1e6 << " MB";
    return s.str();
}

const char* kNarrowHint =
    "narrow it with --start/--end (a time window), --process/--pid or --thread/--tid, "
    "--min-duration (drop short calls) or --max-depth";

}  // namespace

std::optional<int64_t> parse_duration_ns(const std::string& text) {
    if (text.empty()) return std::nullopt;
    const char* begin = text.c_str();
    char* end = nullptr;
    double v = std::strtod(begin, &end);
    if (end == begin || !std::isfinite(v) || v < 0) return std::nullopt;
    std::string unit(end);
    double scale;
    if (unit.empty() || unit == "ms") {
        scale = 1e6;
    } else if (unit == "s") {
        scale = 1e9;
    } else if (unit == "us" || unit == "\xC2\xB5s") {
        scale = 1e3;
    } else if (unit == "ns") {
        scale = 1;
    } else if (unit == "min") {
        scale = 60e9;
    } else {
        return std::nullopt;
    }
    double ns = v * scale;
    if (ns > 9.0e18) return std::nullopt;
    return static_cast<int64_t>(std::llround(ns));
}

std::string default_output_path(const std::string& dir) {
    std::string d = dir;
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    if (d.size() > 4 && d.compare(d.size() - 4, 4, ".dir") == 0) d.resize(d.size() - 4);
    return d + ".json.gz";
}

int run_convert(const ConvertArgs& args, std::ostream& out, std::ostream& err) {
    auto started = std::chrono::steady_clock::now();
    if (args.dirs.empty()) {
        err << "ftrace: error: no trace directory given\n";
        return 2;
    }
    ConvertOptions options;
    options.jobs = args.jobs;
    auto duration = [&](const std::string& text, const char* flag, int64_t& into) {
        if (text.empty()) return true;
        auto v = parse_duration_ns(text);
        if (!v) {
            err << "ftrace: error: " << flag << " " << text
                << ": not a duration (examples: 1.5s, 200ms, 300us; a bare number is ms)\n";
            return false;
        }
        into = *v;
        return true;
    };
    if (!duration(args.start, "--start", options.filter.start_ns) ||
        !duration(args.end, "--end", options.filter.end_ns) ||
        !duration(args.min_duration, "--min-duration", options.filter.min_duration_ns)) {
        return 2;
    }
    if (options.filter.end_ns < options.filter.start_ns) {
        err << "ftrace: error: --end " << args.end << " is before --start " << args.start << "\n";
        return 2;
    }
    options.filter.max_depth = args.max_depth;
    options.select = args.select;

    // Pass 1: everything but the events.
    LoadOptions lopts;
    lopts.keep_events = false;
    lopts.jobs = args.jobs;
    LoadedTrace trace = load_trace(args.dirs, lopts);
    for (const auto& e : trace.errors) err << "ftrace: error: " << e << "\n";
    if (!trace.errors.empty()) return 1;
    for (const auto& w : trace.warnings) err << "ftrace: warning: " << w << "\n";
    if (trace.processes.empty()) {
        err << "ftrace: error: nothing readable in " << args.dirs[0]
            << (args.dirs.size() > 1 ? " and the other directories" : "") << "; no profile written\n";
        return 1;
    }

    std::vector<std::string> warnings;
    ConvertPlan plan = plan_conversion(trace, options, warnings);
    for (const auto& w : warnings) err << "ftrace: warning: " << w << "\n";
    warnings.clear();
    if (plan.processes.empty()) {
        err << "ftrace: error: the filters leave nothing to convert; no profile written "
               "(see 'ftrace info' for the processes, threads and time span of the trace)\n";
        return 1;
    }
    bool warned_size = false;
    if (plan.estimated_json_bytes > kComfortableJsonBytes) {
        err << "ftrace: warning: this profile will be about " << mb(plan.estimated_json_bytes)
            << " of JSON" << (options.filter.min_duration_ns > 0 || options.filter.max_depth > 0 ? " (less with your filters)" : "")
            << "; the Firefox Profiler handles up to about " << mb(kComfortableJsonBytes)
            << " comfortably: " << kNarrowHint << "\n";
        warned_size = true;
    }

    const std::string path = args.output.empty() ? default_output_path(args.dirs[0]) : args.output;
    // Write next to the target and rename at the end: a failed run leaves no half profile.
    const std::string tmp = path + ".partial-" + std::to_string(::getpid());
    std::string open_error;
    auto sink = open_file_sink(tmp, false, open_error);
    if (!sink) {
        err << "ftrace: error: " << open_error << "\n";
        return 1;
    }
    Progress progress(!args.quiet && Progress::stderr_is_terminal());
    options.progress = &progress;
    std::string write_error;
    OutputFormat format{ends_with_gz(path), args.gzip_level};
    ConvertStats stats = write_profile(plan, *sink, format, options, warnings, &write_error);
    bool ok = write_error.empty();
    ok = sink->close() && ok;
    for (const auto& w : warnings) err << "ftrace: warning: " << w << "\n";
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::string why = !write_error.empty() ? write_error
                          : !sink->error().empty() ? sink->error()
                                                   : path + ": cannot rename the output into place";
        err << "ftrace: error: " << why << "\n";
        std::remove(tmp.c_str());
        return 1;
    }
    if (stats.unmatched_returns > 0 || stats.open_at_end > 0) {
        err << "ftrace: note: " << stats.unmatched_returns
            << " returns without a traced call were ignored and " << stats.open_at_end
            << " calls still open at the end were closed at their thread's end\n";
    }
    if (!warned_size && stats.json_bytes > kComfortableJsonBytes) {
        err << "ftrace: warning: the profile holds " << mb(stats.json_bytes)
            << " of JSON; the Firefox Profiler handles up to about " << mb(kComfortableJsonBytes)
            << " comfortably: " << kNarrowHint << "\n";
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!args.quiet) {
        std::ostringstream s;
        s << std::fixed << std::setprecision(2) << secs;
        out << "ftrace: wrote " << path << " (" << stats.processes << " processes, " << stats.threads
            << " threads, " << stats.events << " events, " << mb(sink->bytes_written()) << ") in " << s.str()
            << " s\n"
            << "open it at https://profiler.firefox.com (\"Load a profile from file\")\n";
    }
    return 0;
}

}  // namespace ftrace::convert
