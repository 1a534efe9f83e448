#include "report_command.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <tuple>
#include <unordered_map>

#include "call_stats.h"
#include "chunk_reader.h"
#include "converter.h"
#include "json_writer.h"
#include "output_sink.h"
#include "trace_loader.h"

namespace ftrace::convert {

namespace {

// One row: a function (identified like the profile identifies it) and its statistics.
struct Row {
    format::FuncDef def;
    bool known = true;
    FuncStats stats;
};

struct Group {
    const LoadedProcess* process = nullptr;  // set when grouped by process or thread
    const LoadedThread* thread = nullptr;    // set when grouped by thread
    size_t threads = 0;
    std::map<std::string, size_t> index;     // func key -> rows
    std::vector<Row> rows;
    CallStatsCounters counters;              // summed over the group's threads
};

std::string func_key(const format::FuncDef& d) {
    std::string k(1, d.kind == format::FuncKind::C ? 'C' : 'P');
    for (const std::string* s : {&d.qualname, &d.name, &d.file, &d.module}) {
        k += *s;
        k.push_back('\0');
    }
    k += std::to_string(d.line);
    return k;
}

const std::string& display_name(const format::FuncDef& d) {
    return d.qualname.empty() ? d.name : d.qualname;
}

// The last two components of a path: "orders/main.py" for "/home/u/orders/main.py".
std::string short_path(const std::string& path) {
    size_t last = path.find_last_of('/');
    if (last == std::string::npos || last == 0) return path;
    size_t prev = path.find_last_of('/', last - 1);
    return prev == std::string::npos ? path : path.substr(prev + 1);
}

std::string location(const format::FuncDef& d) {
    if (d.kind == format::FuncKind::C) return d.module.empty() ? "[C]" : "[C] " + d.module;
    if (d.file.empty()) return "";
    return short_path(d.file) + ":" + std::to_string(d.line);
}

std::string thread_label(const LoadedThread& t) {
    if (!t.info) return "thread ? (first chunk lost)";
    std::string name = t.info->name.empty() ? (t.info->is_main ? "MainThread" : "(unnamed)") : t.info->name;
    return "thread " + name + " (tid " + std::to_string(t.info->tid) + ")";
}

std::string process_label(const LoadedProcess& p) {
    if (!p.has_info) return "process ? " + p.dir;
    return "process " + std::to_string(p.info.pid) + " " + command_line(p.info.argv, 80);
}

void add_counters(CallStatsCounters& a, const CallStatsCounters& b) {
    a.events += b.events;
    a.calls += b.calls;
    a.unmatched_returns += b.unmatched_returns;
    a.unclosed_c_calls += b.unclosed_c_calls;
    a.open_at_end += b.open_at_end;
    a.backwards_ticks += b.backwards_ticks;
    a.max_depth = std::max(a.max_depth, b.max_depth);
    a.in_calls_ns += b.in_calls_ns;
}

// Streams one thread file chunk by chunk through a CallStatsBuilder (the loader kept only
// counts, so memory stays bounded by one chunk) and adds the result to `g`.
// Times are the profile's: the plan's tick -> ns map of the process, and the thread closed
// where the profile closes it (its last event or marker).
void add_thread(const ThreadPlan& tp, const TimeMap& time, Group& g, std::vector<std::string>& warnings) {
    const LoadedThread& t = *tp.t;
    CallStatsBuilder b;
    format::ThreadFileReader reader(t.file);
    while (auto c = reader.next()) {
        for (const auto& e : c->events) {
            b.on_event(time.to_rel(e.tick), static_cast<format::EventKind>(e.kind), e.arg);
        }
    }
    b.finish(tp.last_ns);
    uint64_t unknown = 0;
    for (const auto& entry : b.functions()) {
        Row row;
        auto it = t.funcs.find(entry.func.id);
        if (it != t.funcs.end() && (it->second.kind == format::FuncKind::C) == entry.func.is_c) {
            row.def = it->second;
        } else {
            ++unknown;
            row.known = false;
            row.def.kind = entry.func.is_c ? format::FuncKind::C : format::FuncKind::Python;
            row.def.qualname = std::string(entry.func.is_c ? "<unknown C function #" : "<unknown function #") +
                               std::to_string(entry.func.id) + ">";
        }
        auto [pos, inserted] = g.index.try_emplace(func_key(row.def), g.rows.size());
        if (inserted) {
            row.stats = entry.stats;
            g.rows.push_back(std::move(row));
        } else {
            FuncStats& s = g.rows[pos->second].stats;
            s.calls += entry.stats.calls;
            s.primitive_calls += entry.stats.primitive_calls;
            s.total_ns += entry.stats.total_ns;
            s.self_ns += entry.stats.self_ns;
        }
    }
    if (unknown > 0) {
        warnings.push_back(t.file + ": " + std::to_string(unknown) +
                           " function ids have no definition in this file (shown as <unknown function #id>)");
    }
    add_counters(g.counters, b.counters());
    ++g.threads;
}

void sort_rows(std::vector<Row>& rows, ReportSort sort) {
    auto key = [sort](const Row& r) -> std::tuple<int64_t, int64_t, int64_t> {
        const auto& s = r.stats;
        auto calls = static_cast<int64_t>(s.calls);
        switch (sort) {
            case ReportSort::Self: return {s.self_ns, s.total_ns, calls};
            case ReportSort::Calls: return {calls, s.total_ns, s.self_ns};
            case ReportSort::Total: break;
        }
        return {s.total_ns, s.self_ns, calls};
    };
    std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        auto ka = key(a), kb = key(b);
        if (ka != kb) return ka > kb;
        return func_key(a.def) < func_key(b.def);  // deterministic ties
    });
}

const char* sort_name(ReportSort s) {
    switch (s) {
        case ReportSort::Self: return "self";
        case ReportSort::Calls: return "calls";
        case ReportSort::Total: break;
    }
    return "total";
}

// Display width of UTF-8 text (code points; the report prints no wide characters itself).
size_t width(const std::string& s) {
    size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::string pad_left(const std::string& s, size_t w) {
    size_t n = width(s);
    return n >= w ? s : std::string(w - n, ' ') + s;
}

std::string pad_right(const std::string& s, size_t w) {
    size_t n = width(s);
    return n >= w ? s : s + std::string(w - n, ' ');
}

// Cuts to `w` display columns on a code point boundary, marking the cut with "…".
std::string fit_width(const std::string& s, size_t w) {
    if (width(s) <= w) return s;
    std::string out;
    size_t n = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if ((c & 0xC0) != 0x80 && ++n > w - 1) break;
        out.push_back(s[i]);
    }
    return out + "\xE2\x80\xA6";
}

std::string grouped(uint64_t v) {
    std::string d = std::to_string(v), out;
    for (size_t i = 0; i < d.size(); ++i) {
        if (i > 0 && (d.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(d[i]);
    }
    return out;
}

std::string percent(int64_t part, int64_t whole) {
    if (whole <= 0) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return buf;
}

std::string group_title(const Group& g, ReportGroup by) {
    if (by == ReportGroup::Trace) return "";
    std::string t = process_label(*g.process);
    if (by == ReportGroup::Thread) t += ", " + thread_label(*g.thread);
    return t;
}

void print_table(std::ostream& out, const Group& g, const ReportArgs& args) {
    std::vector<Row> rows = g.rows;
    sort_rows(rows, args.sort);
    size_t shown = args.limit == 0 ? rows.size() : std::min(rows.size(), args.limit);
    const int64_t whole = g.counters.in_calls_ns;

    std::vector<std::array<std::string, 7>> cells;
    cells.push_back({"calls", "total", "total%", "self", "self%", "function", "location"});
    for (size_t i = 0; i < shown; ++i) {
        const auto& s = rows[i].stats;
        std::string calls = grouped(s.calls);
        if (s.primitive_calls != s.calls) calls += "/" + grouped(s.primitive_calls);
        cells.push_back({calls, format_duration(s.total_ns), percent(s.total_ns, whole),
                         format_duration(s.self_ns), percent(s.self_ns, whole),
                         fit_width(display_name(rows[i].def), 60), location(rows[i].def)});
    }
    std::array<size_t, 7> w{};
    for (const auto& r : cells) {
        for (size_t c = 0; c < r.size(); ++c) w[c] = std::max(w[c], width(r[c]));
    }
    for (const auto& r : cells) {
        std::string line;
        for (size_t c = 0; c < 5; ++c) line += pad_left(r[c], w[c]) + "  ";
        line += pad_right(r[5], w[5]) + "  " + r[6];
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out << line << "\n";
    }
    if (shown < rows.size()) {
        out << "(" << rows.size() - shown << " more functions; --limit 0 shows all)\n";
    }
}

void write_json(std::ostream& out, const std::vector<Group>& groups, const ReportArgs& args,
                const LoadedTrace& trace, const std::vector<std::string>& warnings) {
    StringSink sink;
    JsonWriter w(sink);
    w.begin_object();
    w.key("ftrace_report").integer(1);
    w.key("measured").string(
        "exact times from every call and return event; total = inclusive, recursion counted "
        "once per outermost activation (pstats cumtime); self = excluding callees (pstats tottime)");
    w.key("unit").string("ns");
    w.key("traces").begin_array();
    for (const auto& d : args.dirs) w.string(d);
    w.end_array();
    w.key("sort").string(sort_name(args.sort));
    w.key("limit").integer(static_cast<int64_t>(args.limit));
    w.key("by").string(args.group == ReportGroup::Trace ? "trace"
                       : args.group == ReportGroup::Process ? "process" : "thread");
    w.key("processes").integer(static_cast<int64_t>(trace.processes.size()));
    w.key("groups").begin_array();
    for (const auto& g : groups) {
        w.begin_object();
        if (g.process && g.process->has_info) {
            w.key("pid").integer(g.process->info.pid);
            w.key("process_key").string(g.process->info.process_key);
            w.key("command").string(command_line(g.process->info.argv, 4096));
        }
        if (g.thread && g.thread->info) {
            w.key("tid").integer(g.thread->info->tid);
            w.key("thread").string(g.thread->info->name);
            w.key("thread_index").integer(g.thread->info->index);
        }
        const auto& c = g.counters;
        w.key("threads").integer(static_cast<int64_t>(g.threads));
        w.key("events").integer(static_cast<int64_t>(c.events));
        w.key("calls").integer(static_cast<int64_t>(c.calls));
        w.key("in_calls_ns").integer(c.in_calls_ns);
        w.key("max_depth").integer(c.max_depth);
        w.key("unmatched_returns").integer(static_cast<int64_t>(c.unmatched_returns));
        w.key("unclosed_c_calls").integer(static_cast<int64_t>(c.unclosed_c_calls));
        w.key("open_at_end").integer(static_cast<int64_t>(c.open_at_end));
        w.key("backwards_ticks").integer(static_cast<int64_t>(c.backwards_ticks));
        w.key("function_count").integer(static_cast<int64_t>(g.rows.size()));
        std::vector<Row> rows = g.rows;
        sort_rows(rows, args.sort);
        size_t shown = args.limit == 0 ? rows.size() : std::min(rows.size(), args.limit);
        w.key("functions").begin_array();
        for (size_t i = 0; i < shown; ++i) {
            const Row& r = rows[i];
            w.begin_object();
            w.key("name").string(display_name(r.def));
            w.key("kind").string(r.def.kind == format::FuncKind::C ? "c" : "python");
            w.key("file").string(r.def.file);
            w.key("line").integer(r.def.line);
            w.key("module").string(r.def.module);
            w.key("known").boolean(r.known);
            w.key("calls").integer(static_cast<int64_t>(r.stats.calls));
            w.key("primitive_calls").integer(static_cast<int64_t>(r.stats.primitive_calls));
            w.key("total_ns").integer(r.stats.total_ns);
            w.key("self_ns").integer(r.stats.self_ns);
            w.end_object();
        }
        w.end_array();
        w.end_object();
    }
    w.end_array();
    w.key("warnings").begin_array();
    for (const auto& s : warnings) w.string(s);
    w.end_array();
    w.end_object();
    w.flush();
    out << sink.out << "\n";
}

}  // namespace

std::string format_duration(int64_t ns) {
    char buf[48];
    double v = static_cast<double>(ns);
    int64_t a = ns < 0 ? -ns : ns;
    if (a < 1000) {
        std::snprintf(buf, sizeof buf, "%" PRId64 " ns", ns);
    } else if (a < 1'000'000) {
        std::snprintf(buf, sizeof buf, "%.3f \xC2\xB5s", v / 1e3);
    } else if (a < 999'999'500) {  // would round up to "1000.000 ms"
        std::snprintf(buf, sizeof buf, "%.3f ms", v / 1e6);
    } else {
        std::snprintf(buf, sizeof buf, "%.3f s", v / 1e9);
    }
    return buf;
}

int run_report(const ReportArgs& args, std::ostream& out, std::ostream& err) {
    if (args.dirs.empty()) {
        err << "ftrace: error: no trace directory given\n";
        return 2;
    }
    LoadOptions opts;
    opts.keep_events = false;  // events are streamed per thread below
    LoadedTrace trace = load_trace(args.dirs, opts);
    for (const auto& e : trace.errors) err << "ftrace: error: " << e << "\n";
    if (!trace.errors.empty()) return 1;
    std::vector<std::string> warnings = trace.warnings;
    if (trace.processes.empty()) {
        for (const auto& w : warnings) err << "ftrace: warning: " << w << "\n";
        err << "ftrace: error: nothing readable in " << args.dirs[0] << "\n";
        return 1;
    }
    ConvertOptions copts;
    copts.select = args.select;
    ConvertPlan plan = plan_conversion(trace, copts, warnings);

    std::vector<Group> groups;
    if (args.group == ReportGroup::Trace) groups.emplace_back();
    int64_t span_begin = INT64_MAX, span_end = INT64_MIN;
    for (const auto& pp : plan.processes) {
        if (args.group == ReportGroup::Process) {
            groups.emplace_back();
            groups.back().process = pp.p;
        }
        for (const auto& tp : pp.threads) {
            if (args.group == ReportGroup::Thread) {
                groups.emplace_back();
                groups.back().process = pp.p;
                groups.back().thread = tp.t;
            }
            span_begin = std::min(span_begin, tp.begin_ns);
            span_end = std::max(span_end, tp.end_ns);
            add_thread(tp, pp.time, groups.back(), warnings);
        }
    }
    size_t threads = 0;
    CallStatsCounters all;
    for (const auto& g : groups) {
        threads += g.threads;
        add_counters(all, g.counters);
    }
    if (threads == 0) {
        for (const auto& w : warnings) err << "ftrace: warning: " << w << "\n";
        err << "ftrace: error: no thread matches the --pid/--process/--tid/--thread filters; `ftrace info "
            << args.dirs[0] << "` lists the processes and threads\n";
        return 1;
    }
    for (const auto& w : warnings) err << "ftrace: warning: " << w << "\n";
    if (all.unmatched_returns > 0 || all.open_at_end > 0) {
        err << "ftrace: note: " << all.unmatched_returns
            << " returns without a traced call were ignored and " << all.open_at_end
            << " calls still open at the end were closed at their thread's end\n";
    }

    if (args.json) {
        write_json(out, groups, args, trace, warnings);
        return 0;
    }
    size_t procs = plan.processes.size();
    out << "ftrace report: ";
    for (size_t i = 0; i < args.dirs.size(); ++i) out << (i ? ", " : "") << args.dirs[i];
    out << "\nmeasured: exact times of all " << grouped(all.calls) << " calls (every call and return "
        << "event, not samples) on " << threads << (threads == 1 ? " thread" : " threads") << " of "
        << procs << (procs == 1 ? " process" : " processes") << ", time span "
        << format_duration(span_begin <= span_end ? span_end - span_begin : 0) << "\n"
        << "total = inclusive time, recursion counted once (pstats cumtime); self = without callees "
           "(pstats tottime);\n"
        << "calls = all calls, \"N/P\" when P of them were not recursive; % = of the time spent in "
           "traced calls\n"
        << "sorted by " << sort_name(args.sort) << " (--sort calls|total|self)\n";
    for (const auto& g : groups) {
        out << "\n";
        std::string title = group_title(g, args.group);
        if (!title.empty()) out << title << "\n";
        print_table(out, g, args);
    }
    return 0;
}

}  // namespace ftrace::convert
