#include "converter.h"

#include <algorithm>
#include <map>
#include <numeric>

#include "clock_fit.h"
#include "marker_schemas.h"
#include "profile_model.h"
#include "profile_writer.h"
#include "stack_replay.h"

namespace ftrace::convert {

using format::ClockKind;

namespace {

// "p123-456" -> 123, for processes whose first chunk was lost.
int64_t pid_from_dir(const std::string& dir) {
    size_t slash = dir.find_last_of('/');
    std::string base = slash == std::string::npos ? dir : dir.substr(slash + 1);
    if (base.size() < 2 || base[0] != 'p') return 0;
    int64_t v = 0;
    for (size_t i = 1; i < base.size() && base[i] >= '0' && base[i] <= '9' && i < 19; ++i) {
        v = v * 10 + (base[i] - '0');
    }
    return v;
}

class ThreadFrames final : public FrameResolver {
public:
    ThreadFrames(const LoadedThread& t, SharedTables& shared) : t_(t), shared_(shared) {}
    uint32_t frame_for(uint32_t id, bool is_c) override {
        auto it = t_.funcs.find(id);
        if (it == t_.funcs.end()) {
            ++unknown_ids;
            return shared_.frame_for_unknown(id, is_c);
        }
        return shared_.frame_for(it->second);
    }
    uint64_t unknown_ids = 0;

private:
    const LoadedThread& t_;
    SharedTables& shared_;
};

struct ThreadPlan {
    LoadedThread* t;
    int64_t begin_ns, end_ns;  // relative; begin > end when the thread holds nothing
};

struct ProcessPlan {
    LoadedProcess* p;
    ClockKind clock;
    int64_t begin_ns = INT64_MAX, end_ns = INT64_MIN;
    std::string pid;
    std::string name;
    std::vector<ThreadPlan> threads;
};

std::string base_name(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Appends the parent to each child's name: " (child of PID)", or " (exec'd from PID)" for a
// program that replaced its traced parent by exec (same pid), PID being the parent's pid in
// the profile. The parent is the process its key names, or else the latest process started
// before it whose pid is its ppid; a parent outside the trace is named by its OS pid.
void name_parents(std::vector<ProcessPlan>& plans) {
    std::map<std::string, const ProcessPlan*> by_key;  // trace dir + "/" + process key
    for (const auto& pp : plans) by_key[pp.p->trace_dir + "/" + base_name(pp.p->dir)] = &pp;
    std::vector<std::string> suffixes(plans.size());
    for (size_t i = 0; i < plans.size(); ++i) {
        const ProcessPlan& pp = plans[i];
        if (!pp.p->has_info) continue;
        const format::ProcessInfo& info = pp.p->info;
        const ProcessPlan* parent = nullptr;
        std::string parent_pid;
        if (!info.parent_key.empty()) {
            auto it = by_key.find(pp.p->trace_dir + "/" + info.parent_key);
            if (it != by_key.end() && it->second != &pp) {
                parent = it->second;
            } else {
                parent_pid = std::to_string(pid_from_dir(info.parent_key));
            }
        } else {
            for (size_t j = 0; j < i; ++j) {  // plans are in start order
                if (plans[j].p->has_info && plans[j].p->info.pid == info.ppid &&
                    plans[j].p->trace_dir == pp.p->trace_dir) {
                    parent = &plans[j];
                }
            }
        }
        if (parent != nullptr) parent_pid = parent->pid;
        if (parent_pid.empty()) continue;
        const bool exec = parent != nullptr ? parent->p->has_info && parent->p->info.pid == info.pid
                                            : pid_from_dir(info.parent_key) == info.pid;
        suffixes[i] = (exec ? " (exec'd from " : " (child of ") + parent_pid + ")";
    }
    for (size_t i = 0; i < plans.size(); ++i) plans[i].name += suffixes[i];
}

}  // namespace

ClockKind clock_of(const LoadedProcess& p) {
    if (!p.has_info) return ClockKind::Tsc;
    auto k = p.info.clock;
    if (k != ClockKind::Tsc && k != ClockKind::CntVct && k != ClockKind::MonotonicNs) return ClockKind::Tsc;
    return k;
}

std::map<ClockKind, ClockFit> fit_trace_clocks(const LoadedTrace& trace, std::vector<std::string>* notes) {
    std::map<ClockKind, std::vector<format::ClockSync>> points;
    for (const auto& p : trace.processes) {
        auto& v = points[clock_of(p)];
        for (const auto& t : p.threads) v.insert(v.end(), t.syncs.begin(), t.syncs.end());
    }
    std::map<ClockKind, ClockFit> fits;
    for (auto& [kind, pts] : points) {
        std::string note;
        fits.emplace(kind, ClockFit::fit(pts, kind, &note));
        if (!note.empty() && notes) {
            notes->push_back((trace.processes.empty() ? std::string("trace")
                                                      : trace.processes.front().trace_dir) +
                             ": " + note);
        }
    }
    return fits;
}

std::string command_line(const std::vector<std::string>& argv, size_t max_len) {
    std::string out;
    for (size_t i = 0; i < argv.size(); ++i) {
        std::string a = argv[i];
        if (i == 0) {
            size_t slash = a.find_last_of('/');
            if (slash != std::string::npos && slash + 1 < a.size()) a = a.substr(slash + 1);
        }
        if (a.empty() || a.find_first_of(" \t\n\"'") != std::string::npos) a = "'" + a + "'";
        if (!out.empty()) out.push_back(' ');
        out += a;
        if (out.size() > max_len) break;
    }
    if (out.size() > max_len) {
        // Cut on a UTF-8 boundary and mark the cut.
        size_t cut = max_len;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        out += "\xE2\x80\xA6";  // …
    }
    return out;
}

ConvertStats write_profile(LoadedTrace& trace, JsonWriter& w, std::vector<std::string>& warnings) {
    ConvertStats stats;

    // 1. Clock: one least-squares fit per clock kind over every sync point of that kind.
    std::map<ClockKind, ClockFit> fits = fit_trace_clocks(trace, &warnings);
    std::vector<int64_t> wall_offsets;
    for (const auto& p : trace.processes) {
        for (const auto& t : p.threads) {
            for (const auto& s : t.syncs) wall_offsets.push_back(s.realtime_ns - s.monotonic_ns);
        }
    }
    int64_t wall_offset = 0;
    if (!wall_offsets.empty()) {
        std::nth_element(wall_offsets.begin(), wall_offsets.begin() + wall_offsets.size() / 2,
                         wall_offsets.end());
        wall_offset = wall_offsets[wall_offsets.size() / 2];
    }

    // 2. Time 0 = the earliest event or marker of any thread.
    int64_t t0 = INT64_MAX;
    for (auto& p : trace.processes) {
        const ClockFit& fit = fits.at(clock_of(p));
        for (auto& t : p.threads) {
            if (t.first_tick <= t.last_tick) t0 = std::min(t0, fit.to_ns(t.first_tick));
        }
    }
    if (t0 == INT64_MAX) t0 = 0;

    // 3. Plan processes and threads: spans, order, pids, names.
    std::vector<ProcessPlan> plans;
    for (auto& p : trace.processes) {
        ProcessPlan pp;
        pp.p = &p;
        pp.clock = clock_of(p);
        TimeMap tm{&fits.at(pp.clock), t0};
        for (auto& t : p.threads) {
            ThreadPlan tp{&t, 0, 0};
            if (t.first_tick <= t.last_tick) {
                tp.begin_ns = tm.to_rel(t.first_tick);
                tp.end_ns = std::max(tp.begin_ns, tm.to_rel(t.last_tick));
                pp.begin_ns = std::min(pp.begin_ns, tp.begin_ns);
                pp.end_ns = std::max(pp.end_ns, tp.end_ns);
            } else {
                tp.begin_ns = 1;  // empty: fixed up below
                tp.end_ns = 0;
            }
            pp.threads.push_back(tp);
        }
        if (pp.begin_ns > pp.end_ns) pp.begin_ns = pp.end_ns = 0;
        for (auto& tp : pp.threads) {
            if (tp.begin_ns > tp.end_ns) tp.begin_ns = tp.end_ns = pp.begin_ns;
        }
        plans.push_back(std::move(pp));
    }
    std::stable_sort(plans.begin(), plans.end(), [](const ProcessPlan& a, const ProcessPlan& b) {
        return a.begin_ns < b.begin_ns;
    });
    std::map<std::string, int> pid_uses;
    for (auto& pp : plans) {
        int64_t pid = pp.p->has_info ? pp.p->info.pid : pid_from_dir(pp.p->dir);
        std::string base = std::to_string(pid);
        int n = pid_uses[base]++;
        pp.pid = n == 0 ? base : base + "." + std::to_string(n);
        if (pp.p->has_info && !pp.p->info.argv.empty()) {
            pp.name = command_line(pp.p->info.argv);
        } else if (pp.p->has_info && !pp.p->info.executable.empty()) {
            pp.name = command_line({pp.p->info.executable});
        } else {
            pp.name = "process " + base;
        }
    }
    name_parents(plans);

    // 4. Marker schemas learn every marker's fields before meta is written.
    SchemaRegistry schemas;
    for (auto& pp : plans) {
        for (auto& tp : pp.threads) {
            for (const auto& m : tp.t->markers) schemas.observe(m);
        }
    }

    // 5. Meta.
    ProfileMeta meta;
    meta.start_wall_ns = t0 + wall_offset;
    meta.end_ns = 0;
    for (auto& pp : plans) {
        meta.end_ns = std::max(meta.end_ns, pp.end_ns);
        meta.thread_count += pp.threads.size();
    }
    const ProcessPlan* root = nullptr;
    for (auto& pp : plans) {
        if (pp.p->has_info && pp.p->info.parent_key.empty()) {
            root = &pp;
            break;
        }
    }
    if (!root && !plans.empty()) root = &plans.front();
    meta.product = "ftrace: " + (root ? root->name : std::string("empty trace"));
    if (meta.thread_count > 0) meta.selected_threads.push_back(0);
    meta.arguments = root && root->p->has_info ? command_line(root->p->info.argv, 4096) : "";

    ProfileWriter writer(w);
    writer.begin(meta, schemas);

    // 6. Threads, one at a time.
    SharedTables shared;
    std::vector<CounterOut> counters;
    uint32_t thread_index = 0;
    for (auto& pp : plans) {
        const ClockFit& fit = fits.at(pp.clock);
        TimeMap tm{&fit, t0};
        std::vector<AllocPoint> allocs;
        uint32_t main_index = thread_index;
        bool main_found = false;
        for (auto& tp : pp.threads) {
            LoadedThread& t = *tp.t;
            ThreadOut out;
            out.pid = pp.pid;
            out.process_name = pp.name;
            out.tid = t.info ? t.info->tid : 0;
            out.is_main = t.info && t.info->is_main;
            if (out.is_main && !main_found) {
                main_index = thread_index;
                main_found = true;
            }
            out.name = t.info && !t.info->name.empty()
                           ? t.info->name
                           : (out.is_main ? std::string("MainThread")
                                          : "Thread " + std::to_string(out.tid));
            out.process_start_ns = pp.begin_ns;
            out.process_end_ns = pp.end_ns;
            out.register_ns = tp.begin_ns;
            out.unregister_ns = tp.end_ns;

            ThreadFrames frames(t, shared);
            ReplayResult r = replay_thread(t.events, tm, frames, shared.stacks, tp.end_ns);
            out.samples = std::move(r.samples);
            allocs.insert(allocs.end(), r.allocs.begin(), r.allocs.end());
            if (frames.unknown_ids > 0) {
                warnings.push_back(t.file + ": " + std::to_string(frames.unknown_ids) +
                                   " function ids have no definition in this file (shown as "
                                   "<unknown function #id>)");
            }
            stats.unknown_function_events += frames.unknown_ids;
            stats.unmatched_returns += r.stats.unmatched_returns;
            stats.open_at_end += r.stats.open_at_end;

            out.markers.reserve(t.markers.size());
            for (const auto& m : t.markers) {
                uint32_t si = schemas.schema_of(m.kind);
                const MarkerSchema& s = schemas.at(si);
                MarkerOut mo;
                mo.name = shared.strings.intern(m.name.empty() ? s.name : m.name);
                mo.start_ns = tm.to_rel(m.start_tick);
                mo.end_ns = m.end_tick > m.start_tick ? tm.to_rel(m.end_tick) : mo.start_ns;
                mo.instant = m.end_tick <= m.start_tick;
                mo.category = s.category;
                mo.schema = si;
                mo.source = &m;
                out.markers.push_back(mo);
            }
            std::stable_sort(out.markers.begin(), out.markers.end(),
                             [](const MarkerOut& a, const MarkerOut& b) { return a.start_ns < b.start_ns; });

            writer.thread(out, schemas);
            stats.samples += out.samples.size();
            stats.markers += out.markers.size();
            stats.events += t.event_count;
            std::vector<format::RawEvent>().swap(t.events);  // release memory early
            ++thread_index;
            ++stats.threads;
        }
        if (!allocs.empty()) {
            std::stable_sort(allocs.begin(), allocs.end(),
                             [](const AllocPoint& a, const AllocPoint& b) { return a.t_ns < b.t_ns; });
            CounterOut c;
            c.name = "Memory";
            c.description = "Bytes allocated minus bytes freed (ftrace --memory)";
            c.pid = pp.pid;
            c.category = kCatMemory;
            c.main_thread_index = main_index;
            for (const auto& a : allocs) {
                if (!c.t_ns.empty() && c.t_ns.back() == a.t_ns) {
                    c.count.back() += a.bytes;
                    c.number.back() += 1;
                } else {
                    c.t_ns.push_back(a.t_ns);
                    c.count.push_back(a.bytes);
                    c.number.push_back(1);
                }
            }
            counters.push_back(std::move(c));
        }
        ++stats.processes;
    }

    writer.end(shared, counters);
    stats.functions = shared.func_count();
    stats.stacks = shared.stacks.size();
    stats.duration_ns = meta.end_ns;
    return stats;
}

}  // namespace ftrace::convert
