#include "info_command.h"

#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "converter.h"
#include "trace_loader.h"

namespace ftrace::convert {

namespace {

std::string human_bytes(uint64_t b) {
    std::ostringstream s;
    if (b < 10000) {
        s << b << " B";
    } else if (b < 10'000'000) {
        s << std::fixed << std::setprecision(1) << static_cast<double>(b) / 1e3 << " kB";
    } else {
        s << std::fixed << std::setprecision(1) << static_cast<double>(b) / 1e6 << " MB";
    }
    return s.str();
}

std::string ms(int64_t ns) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(3) << static_cast<double>(ns) / 1e6 << " ms";
    return s.str();
}

const char* clock_name(format::ClockKind k) {
    switch (k) {
        case format::ClockKind::Tsc: return "tsc";
        case format::ClockKind::CntVct: return "cntvct";
        case format::ClockKind::MonotonicNs: return "monotonic ns";
    }
    return "unknown";
}

}  // namespace

int run_info(const std::string& dir, std::ostream& out, std::ostream& err) {
    LoadOptions opts;
    opts.keep_events = false;
    LoadedTrace trace = load_trace({dir}, opts);
    for (const auto& e : trace.errors) err << "ftrace: error: " << e << "\n";
    if (!trace.errors.empty()) return 1;

    std::vector<std::string> notes;
    auto fits = fit_trace_clocks(trace, &notes);

    std::set<std::string> versions;
    for (const auto& p : trace.processes) {
        for (const auto& t : p.threads) {
            versions.insert(std::to_string(t.format_major) + "." + std::to_string(t.format_minor));
        }
    }
    out << "trace directory: " << dir << "\n";
    out << "format version: ";
    if (versions.empty()) out << "unknown";
    bool first = true;
    for (const auto& v : versions) {
        out << (first ? "" : ", ") << v;
        first = false;
    }
    out << "\n";

    int64_t span_begin = INT64_MAX, span_end = INT64_MIN;
    uint64_t threads = 0;
    for (const auto& p : trace.processes) {
        const ClockFit& fit = fits.at(clock_of(p));
        out << "\nprocess " << (p.has_info ? std::to_string(p.info.pid) : std::string("?"));
        if (p.has_info) out << " (parent " << p.info.ppid << ")";
        out << "  " << p.dir << "\n";
        if (p.has_info) {
            out << "  command:    " << command_line(p.info.argv, 400) << "\n";
            out << "  python:     " << p.info.python_version << "\n";
            out << "  executable: " << p.info.executable << "\n";
            out << "  host:       " << p.info.host << "\n";
            out << "  clock:      " << clock_name(clock_of(p));
            if (clock_of(p) != format::ClockKind::MonotonicNs) {
                out << " (" << std::setprecision(6) << static_cast<double>(1.0L / fit.ns_per_tick())
                    << " ticks/ns from " << fit.points() << " sync points)";
            }
            out << "\n";
        }
        for (const auto& t : p.threads) {
            ++threads;
            int64_t span = 0;
            if (t.first_tick <= t.last_tick) {
                int64_t b = fit.to_ns(t.first_tick), e = fit.to_ns(t.last_tick);
                span = e - b;
                span_begin = std::min(span_begin, b);
                span_end = std::max(span_end, e);
            }
            out << "  thread " << (t.info ? std::to_string(t.info->index) : std::string("?"))
                << "  tid " << (t.info ? std::to_string(t.info->tid) : std::string("?")) << "  "
                << (t.info ? (t.info->name.empty() ? std::string("(unnamed)") : t.info->name)
                           : std::string("(unknown)"))
                << (t.info && t.info->is_main ? " [main]" : "") << "\n"
                << "    " << t.event_count << " events, " << t.markers.size() << " markers, "
                << t.chunks << " chunks, " << ms(span) << ", " << human_bytes(t.bytes) << " on disk"
                << (t.saw_last ? "" : ", no clean end (the process was killed or is still running)")
                << "\n";
        }
    }

    out << "\ntotals: " << trace.processes.size() << " processes, " << threads << " threads, "
        << trace.total_events << " events, " << human_bytes(trace.total_bytes);
    if (trace.total_events > 0) {
        out << " (" << std::fixed << std::setprecision(2)
            << static_cast<double>(trace.total_bytes) / static_cast<double>(trace.total_events)
            << " bytes/event)";
    }
    out << ", time span " << (span_begin <= span_end ? ms(span_end - span_begin) : std::string("none"))
        << "\n";

    out << "\ndamage: ";
    std::vector<std::string> damage = trace.warnings;
    damage.insert(damage.end(), notes.begin(), notes.end());
    if (damage.empty()) {
        out << "none found\n";
    } else {
        out << damage.size() << " problems\n";
        for (const auto& d : damage) out << "  " << d << "\n";
    }
    if (trace.processes.empty()) {
        err << "ftrace: error: nothing readable in " << dir << "\n";
        return 1;
    }
    return 0;
}

}  // namespace ftrace::convert
