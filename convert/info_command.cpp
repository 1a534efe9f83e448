#include "info_command.h"

#include <ctime>
#include <functional>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "converter.h"
#include "json_writer.h"
#include "output_sink.h"
#include "trace_loader.h"
#include "version.h"

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

std::string utc(int64_t realtime_ns) {
    if (realtime_ns <= 0) return "unknown";
    std::time_t s = static_cast<std::time_t>(realtime_ns / 1'000'000'000);
    std::tm tm{};
    if (!gmtime_r(&s, &tm)) return "unknown";
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

// Control characters (a newline in `python -c` code) would break the layout: show them escaped.
std::string one_line(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            out += '?';
        } else {
            out.push_back(c);
        }
    }
    return out;
}

std::string thread_name(const LoadedThread& t) {
    if (!t.info) return "(unknown)";
    return t.info->name.empty() ? std::string("(unnamed)") : t.info->name;
}

// Everything `info` shows, computed once for both the text and the JSON form.
struct ThreadView {
    const LoadedThread* t;
    int64_t span_ns = 0;
};
struct ProcessView {
    const LoadedProcess* p;
    std::string pid;                 // "?" when the first chunk was lost
    std::vector<ThreadView> threads;
    int64_t begin_ns = INT64_MAX;    // earliest event or marker (clock-fitted ns)
    std::vector<size_t> children;    // indices of traced children, by start
    bool parent_traced = false;
};
struct InfoView {
    std::vector<ProcessView> procs;
    std::vector<size_t> roots;       // processes whose parent was not traced
    std::set<std::string> versions;
    std::set<std::string> hosts;
    int64_t span_begin = INT64_MAX, span_end = INT64_MIN;
    size_t threads = 0;
    std::vector<std::string> damage;
};

InfoView build_view(const LoadedTrace& trace, const std::map<format::ClockKind, ClockFit>& fits) {
    InfoView v;
    std::map<std::string, size_t> by_key;
    for (const auto& p : trace.processes) {
        ProcessView pv;
        pv.p = &p;
        pv.pid = p.has_info ? std::to_string(p.info.pid) : "?";
        const ClockFit& fit = fits.at(clock_of(p));
        for (const auto& t : p.threads) {
            ThreadView tv{&t, 0};
            if (t.first_tick <= t.last_tick) {
                int64_t b = fit.to_ns(t.first_tick), e = fit.to_ns(t.last_tick);
                tv.span_ns = e - b;
                pv.begin_ns = std::min(pv.begin_ns, b);
                v.span_begin = std::min(v.span_begin, b);
                v.span_end = std::max(v.span_end, e);
            }
            v.versions.insert(std::to_string(t.format_major) + "." + std::to_string(t.format_minor));
            pv.threads.push_back(tv);
            ++v.threads;
        }
        if (p.has_info) {
            v.hosts.insert(p.info.host);
            by_key.emplace(p.info.process_key, v.procs.size());
        }
        v.procs.push_back(std::move(pv));
    }
    for (size_t i = 0; i < v.procs.size(); ++i) {
        const LoadedProcess& p = *v.procs[i].p;
        auto it = p.has_info && !p.info.parent_key.empty() ? by_key.find(p.info.parent_key) : by_key.end();
        size_t parent = it != by_key.end() && it->second != i ? it->second : SIZE_MAX;
        if (parent == SIZE_MAX && p.has_info && p.info.parent_key.empty()) {
            // No key (a recorder that could not name its parent): the latest process started
            // before it whose pid is its ppid.
            for (size_t j = 0; j < v.procs.size(); ++j) {
                const ProcessView& c = v.procs[j];
                if (j == i || !c.p->has_info || c.p->info.pid != p.info.ppid || c.begin_ns > v.procs[i].begin_ns) continue;
                if (parent == SIZE_MAX || c.begin_ns >= v.procs[parent].begin_ns) parent = j;
            }
        }
        if (parent != SIZE_MAX) {
            v.procs[i].parent_traced = true;
            v.procs[parent].children.push_back(i);
        } else {
            v.roots.push_back(i);
        }
    }
    auto by_start = [&v](size_t a, size_t b) { return v.procs[a].begin_ns < v.procs[b].begin_ns; };
    std::stable_sort(v.roots.begin(), v.roots.end(), by_start);
    for (auto& pv : v.procs) std::stable_sort(pv.children.begin(), pv.children.end(), by_start);
    return v;
}

void print_tree(std::ostream& out, const InfoView& v) {
    std::vector<bool> seen(v.procs.size(), false);
    std::function<void(size_t, const std::string&, const std::string&)> node =
        [&](size_t i, const std::string& lead, const std::string& rest) {
            seen[i] = true;
            const ProcessView& pv = v.procs[i];
            const LoadedProcess& p = *pv.p;
            out << "  " << lead << pv.pid << "  "
                << (p.has_info ? one_line(command_line(p.info.argv, 70)) : std::string("(process details lost)"));
            out << "  [";
            if (p.has_info) {
                out << "python " << p.info.python_version;
                if (v.hosts.size() > 1) out << ", host " << p.info.host;
                if (!pv.parent_traced) out << ", ppid " << p.info.ppid;
                out << ", ";
            }
            out << pv.threads.size() << (pv.threads.size() == 1 ? " thread]" : " threads]") << "\n";
            for (size_t c = 0; c < pv.children.size(); ++c) {
                bool last = c + 1 == pv.children.size();
                if (seen[pv.children[c]]) continue;  // a parent_key cycle in damaged input
                node(pv.children[c], rest + (last ? "\xE2\x94\x94\xE2\x94\x80 " : "\xE2\x94\x9C\xE2\x94\x80 "),
                     rest + (last ? "   " : "\xE2\x94\x82  "));
            }
        };
    for (size_t r : v.roots) node(r, "", "");
    // Processes only reachable through a cycle of parent keys (damaged input) still show.
    for (size_t i = 0; i < v.procs.size(); ++i) {
        if (!seen[i]) node(i, "", "");
    }
}

void print_text(std::ostream& out, const std::string& dir, const LoadedTrace& trace,
                const std::map<format::ClockKind, ClockFit>& fits, const InfoView& v) {
    out << "trace directory: " << dir << "\n";
    out << "format version: ";
    if (v.versions.empty()) out << "unknown";
    bool first = true;
    for (const auto& s : v.versions) {
        out << (first ? "" : ", ") << s;
        first = false;
    }
    out << " (this ftrace reads format " << format::kMinReadableMajor << ".x";
    if (format::kFormatMajor != format::kMinReadableMajor) out << " to " << format::kFormatMajor << ".x";
    out << ")\n";
    int64_t start = INT64_MAX;
    for (const auto& p : trace.processes) {
        if (p.has_info && p.info.start_realtime_ns > 0) start = std::min(start, p.info.start_realtime_ns);
    }
    out << "recorded: " << (start == INT64_MAX ? std::string("unknown") : utc(start));
    if (!v.hosts.empty()) {
        out << (v.hosts.size() == 1 ? " on host " : " on hosts ");
        first = true;
        for (const auto& h : v.hosts) {
            out << (first ? "" : ", ") << h;
            first = false;
        }
    }
    out << "\n";

    out << "\nprocess tree (by parent):\n";
    print_tree(out, v);

    for (const auto& pv : v.procs) {
        const LoadedProcess& p = *pv.p;
        const ClockFit& fit = fits.at(clock_of(p));
        out << "\nprocess " << pv.pid;
        if (p.has_info) out << " (parent " << p.info.ppid << ")";
        out << "  " << p.dir << "\n";
        if (p.has_info) {
            out << "  command:    " << one_line(command_line(p.info.argv, 400)) << "\n";
            out << "  python:     " << p.info.python_version << "\n";
            out << "  executable: " << p.info.executable << "\n";
            out << "  host:       " << p.info.host << "\n";
            out << "  started:    " << utc(p.info.start_realtime_ns) << "\n";
            out << "  clock:      " << clock_name(clock_of(p));
            if (clock_of(p) != format::ClockKind::MonotonicNs) {
                out << " (" << std::setprecision(6) << static_cast<double>(1.0L / fit.ns_per_tick())
                    << " ticks/ns from " << fit.points() << " sync points)";
            }
            out << "\n";
        }
        for (const auto& tv : pv.threads) {
            const LoadedThread& t = *tv.t;
            out << "  thread " << (t.info ? std::to_string(t.info->index) : std::string("?")) << "  tid "
                << (t.info ? std::to_string(t.info->tid) : std::string("?")) << "  " << thread_name(t)
                << (t.info && t.info->is_main ? " [main]" : "") << "\n"
                << "    " << t.event_count << " events, " << t.markers.size() << " markers, " << t.chunks
                << " chunks, " << ms(tv.span_ns) << ", " << human_bytes(t.bytes) << " on disk"
                << (t.saw_last ? "" : ", no clean end (the process was killed or is still running)") << "\n";
        }
    }

    out << "\ntotals: " << trace.processes.size() << " processes, " << v.threads << " threads, "
        << trace.total_events << " events, " << human_bytes(trace.total_bytes);
    if (trace.total_events > 0) {
        out << " (" << std::fixed << std::setprecision(2)
            << static_cast<double>(trace.total_bytes) / static_cast<double>(trace.total_events) << " bytes/event)";
    }
    out << ", time span "
        << (v.span_begin <= v.span_end ? ms(v.span_end - v.span_begin) : std::string("none")) << "\n";

    out << "\ndamage: ";
    if (v.damage.empty()) {
        out << "none found\n";
    } else {
        out << v.damage.size() << " problems\n";
        for (const auto& d : v.damage) out << "  " << d << "\n";
    }
}

void print_json(std::ostream& out, const std::string& dir, const LoadedTrace& trace, const InfoView& v) {
    StringSink sink;
    JsonWriter w(sink);
    w.begin_object();
    w.key("trace").string(dir);
    w.key("format_versions").begin_array();
    for (const auto& s : v.versions) w.string(s);
    w.end_array();
    w.key("processes").begin_array();
    for (const auto& pv : v.procs) {
        const LoadedProcess& p = *pv.p;
        w.begin_object();
        w.key("dir").string(p.dir);
        w.key("details_known").boolean(p.has_info);
        if (p.has_info) {
            w.key("pid").integer(p.info.pid);
            w.key("ppid").integer(p.info.ppid);
            w.key("process_key").string(p.info.process_key);
            w.key("parent_key").string(p.info.parent_key);
            w.key("argv").begin_array();
            for (const auto& a : p.info.argv) w.string(a);
            w.end_array();
            w.key("executable").string(p.info.executable);
            w.key("python_version").string(p.info.python_version);
            w.key("host").string(p.info.host);
            w.key("start_realtime_ns").integer(p.info.start_realtime_ns);
            w.key("clock").string(clock_name(clock_of(p)));
        }
        w.key("parent_traced").boolean(pv.parent_traced);
        w.key("children").begin_array();
        for (size_t c : pv.children) w.string(v.procs[c].p->info.process_key);
        w.end_array();
        w.key("threads").begin_array();
        for (const auto& tv : pv.threads) {
            const LoadedThread& t = *tv.t;
            w.begin_object();
            w.key("file").string(t.file);
            if (t.info) {
                w.key("index").integer(t.info->index);
                w.key("tid").integer(t.info->tid);
                w.key("name").string(t.info->name);
                w.key("is_main").boolean(t.info->is_main);
            }
            w.key("format_version").string(std::to_string(t.format_major) + "." + std::to_string(t.format_minor));
            w.key("events").integer(static_cast<int64_t>(t.event_count));
            w.key("markers").integer(static_cast<int64_t>(t.markers.size()));
            w.key("chunks").integer(static_cast<int64_t>(t.chunks));
            w.key("bytes").integer(static_cast<int64_t>(t.bytes));
            w.key("duration_ns").integer(tv.span_ns);
            w.key("clean_end").boolean(t.saw_last);
            w.key("dropped_events").integer(static_cast<int64_t>(t.dropped_events));
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.key("totals").begin_object();
    w.key("processes").integer(static_cast<int64_t>(trace.processes.size()));
    w.key("threads").integer(static_cast<int64_t>(v.threads));
    w.key("events").integer(static_cast<int64_t>(trace.total_events));
    w.key("bytes").integer(static_cast<int64_t>(trace.total_bytes));
    w.key("bytes_per_event");
    if (trace.total_events > 0) {
        w.number(static_cast<double>(trace.total_bytes) / static_cast<double>(trace.total_events));
    } else {
        w.null();
    }
    w.key("time_span_ns").integer(v.span_begin <= v.span_end ? v.span_end - v.span_begin : 0);
    w.end_object();
    w.key("damage").begin_array();
    for (const auto& d : v.damage) w.string(d);
    w.end_array();
    w.end_object();
    w.flush();
    out << sink.out << "\n";
}

}  // namespace

int run_info(const std::string& dir, std::ostream& out, std::ostream& err, bool json) {
    LoadOptions opts;
    opts.keep_events = false;
    LoadedTrace trace = load_trace({dir}, opts);
    for (const auto& e : trace.errors) err << "ftrace: error: " << e << "\n";
    if (!trace.errors.empty()) return 1;

    std::vector<std::string> notes;
    auto fits = fit_trace_clocks(trace, &notes);
    InfoView v = build_view(trace, fits);
    v.damage = trace.warnings;
    v.damage.insert(v.damage.end(), notes.begin(), notes.end());
    if (json) {
        print_json(out, dir, trace, v);
    } else {
        print_text(out, dir, trace, fits, v);
    }
    if (trace.processes.empty()) {
        err << "ftrace: error: nothing readable in " << dir << "\n";
        return 1;
    }
    return 0;
}

}  // namespace ftrace::convert
